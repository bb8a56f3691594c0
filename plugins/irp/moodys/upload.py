"""Upload of import files to the object store named by an import folder (contract §5.1, §6.5).

Moody's answers ``POST /platform/import/v1/folders`` with, per file, an ``uploadUrl`` and
base64-encoded temporary STS credentials (``presignParams``). For an Amazon S3 URL the file is sent
as one ``PUT`` signed with AWS Signature V4 (the reference uses boto3; a single PUT is enough for
import CSVs, whose size limit is 5 GiB). Any other URL, such as the simulator's fake S3
(``{base}/_s3/{bucket}/{key}``), receives a plain ``PUT``. Neither carries the Moody's
``Authorization`` or resource-group headers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from irp.moodys.errors import MoodysProtocolError
from irp.moodys.transport import HttpMethod, MoodysClient, MoodysRequest

S3_HOST_PATTERN = re.compile(r"^(?:(?P<bucket>[^.]+)\.)?s3(?:[.-](?P<region>[a-z0-9-]+))?\.amazonaws\.com$")
CONTENT_TYPES = {
    ".bak": "application/octet-stream",
    ".csv": "text/csv",
    ".json": "application/json",
    ".txt": "text/plain",
    ".zip": "application/zip",
    ".xml": "application/xml",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"
SIGNING_ALGORITHM = "AWS4-HMAC-SHA256"

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath


@dataclass(frozen=True)
class UploadDetail:
    """One file slot of an import folder."""

    upload_url: str
    file_uri: str
    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    region: str

    @classmethod
    def from_response(cls, detail: Mapping[str, Any]) -> UploadDetail:
        params = detail.get("presignParams") or {}

        def decoded(key: str) -> str:
            value = params.get(key)
            return base64.b64decode(value).decode() if value else ""

        if not detail.get("uploadUrl"):
            raise MoodysProtocolError("Import folder upload detail has no uploadUrl")
        return cls(
            str(detail["uploadUrl"]),
            str(detail.get("fileUri") or ""),
            decoded("accessKeyId"),
            decoded("secretAccessKey"),
            decoded("sessionToken"),
            decoded("region") or "us-east-1",
        )

    def secrets(self) -> tuple[str, ...]:
        return tuple(value for value in (self.secret_access_key, self.session_token) if value)


def content_type_for(path: Path | ObjectStoragePath) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), DEFAULT_CONTENT_TYPE)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sigv4_authorization(
    method: str,
    url: str,
    signed_headers: Mapping[str, str],
    payload_hash: str,
    credentials: tuple[str, str],
    region: str,
    now: datetime,
) -> str:
    """The ``Authorization`` value of an AWS Signature V4 request to S3.

    ``signed_headers`` must include ``host`` and ``x-amz-date``; ``credentials`` is
    (access key id, secret access key).
    """
    parts = urlsplit(url)
    headers = {name.lower(): value.strip() for name, value in signed_headers.items()}
    names = sorted(headers)
    canonical = "\n".join(
        [
            method,
            parts.path or "/",
            parts.query,
            "".join(f"{name}:{headers[name]}\n" for name in names),
            ";".join(names),
            payload_hash,
        ]
    )
    scope = f"{now:%Y%m%d}/{region}/s3/aws4_request"
    to_sign = "\n".join(
        [SIGNING_ALGORITHM, headers["x-amz-date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    access_key, secret_key = credentials
    key = f"AWS4{secret_key}".encode()
    for part in (f"{now:%Y%m%d}", region, "s3", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"{SIGNING_ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
    )


def sigv4_headers(detail: UploadDetail, content: bytes, content_type: str, now: datetime) -> dict[str, str]:
    """Headers of an S3 ``PUT`` signed with the folder's temporary STS credentials."""
    parts = urlsplit(detail.upload_url)
    match = S3_HOST_PATTERN.match(parts.hostname or "")
    region = (match.group("region") if match else None) or detail.region
    payload_hash = hashlib.sha256(content).hexdigest()
    headers = {"x-amz-content-sha256": payload_hash, "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ")}
    if detail.session_token:
        headers["x-amz-security-token"] = detail.session_token
    signed = {**headers, "content-type": content_type, "host": parts.netloc}
    credentials = (detail.access_key_id, detail.secret_access_key)
    headers["Authorization"] = sigv4_authorization(
        HttpMethod.PUT.value, detail.upload_url, signed, payload_hash, credentials, region, now
    )
    return headers


def upload_file(client: MoodysClient, detail: UploadDetail, path: Path | ObjectStoragePath) -> None:
    """PUT ``path`` to the folder slot ``detail`` (signed for S3, plain otherwise)."""
    content = path.read_bytes()
    content_type = content_type_for(path)
    is_s3 = bool(S3_HOST_PATTERN.match(urlsplit(detail.upload_url).hostname or ""))
    extra = sigv4_headers(detail, content, content_type, datetime.now(UTC)) if is_s3 else None
    client.request(
        MoodysRequest(
            HttpMethod.PUT,
            detail.upload_url,
            content=content,
            content_type=content_type,
            extra_headers=extra,
            authenticated=False,
        )
    )
