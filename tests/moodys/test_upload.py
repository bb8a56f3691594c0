"""Import-file upload: AWS Signature V4 for S3 URLs (checked against AWS's published example)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from irp.moodys.upload import UploadDetail, content_type_for, sigv4_authorization, sigv4_headers

AWS_EXAMPLE_KEYS = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_signature_matches_the_aws_documentation_example() -> None:
    """'GET Object' example of the S3 SigV4 header-auth documentation."""
    headers = {
        "Host": "examplebucket.s3.amazonaws.com",
        "Range": "bytes=0-9",
        "x-amz-content-sha256": EMPTY_SHA256,
        "x-amz-date": "20130524T000000Z",
    }
    authorization = sigv4_authorization(
        "GET",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        headers,
        EMPTY_SHA256,
        AWS_EXAMPLE_KEYS,
        "us-east-1",
        datetime(2013, 5, 24, tzinfo=UTC),
    )
    assert authorization == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_put_headers_sign_the_payload_and_session_token() -> None:
    detail = UploadDetail.from_response(
        {
            "uploadUrl": "https://sim-bucket.s3.eu-west-1.amazonaws.com/import/1/2-accounts.csv",
            "fileUri": "platform/import/v1/folders/1/files/2",
            "presignParams": {
                "accessKeyId": encoded("AKIASIM"),
                "secretAccessKey": encoded("secret"),
                "sessionToken": encoded("token"),
                "path": encoded("sim-bucket/import/1"),
                "region": encoded("us-east-1"),
            },
        }
    )
    assert "secret" not in repr(detail)
    headers = sigv4_headers(detail, b"a\tb\n", "text/csv", datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert headers["x-amz-content-sha256"] == hashlib.sha256(b"a\tb\n").hexdigest()
    assert headers["x-amz-security-token"] == "token"
    assert headers["x-amz-date"] == "20250102T030405Z"
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIASIM/20250102/eu-west-1/s3/aws4_request")
    assert (
        "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
        in headers["Authorization"]
    )


def test_content_types() -> None:
    assert content_type_for(Path("x.CSV")) == "text/csv"
    assert content_type_for(Path("x.bin")) == "application/octet-stream"
