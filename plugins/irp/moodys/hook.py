"""``MoodysHook``: the Airflow hook of Moody's Risk Modeler, modelled on the dbt Cloud and
Databricks providers: synchronous methods for submissions, look-ups, validation and deletes (on the
http provider's ``HttpHook`` session), and ``a``-prefixed asynchronous methods (aiohttp) for
triggers (status polls, cancel).

It implements the store's seams :class:`irp.moodys.protocol.JobBackend` and
:class:`irp.moodys.protocol.EntityValidator`. Connection fields are documented in
:mod:`irp.moodys.auth`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from airflow.providers.http.hooks.http import HttpHook

from irp.configuration.specs import JobSpec
from irp.constants import BatchType
from irp.moodys import jobs, validation
from irp.moodys.api import DEFAULT_SERVER_NAME, ApiPath, MoodysApi
from irp.moodys.auth import MoodysConnectionConfig
from irp.moodys.errors import MoodysApiError, MoodysLookupError
from irp.moodys.protocol import EntityMessage, StatusReport, SubmissionOutcomeUnknown, SubmissionResult
from irp.moodys.references import References, Rows
from irp.moodys.retry import RetryPolicy
from irp.moodys.transport import AsyncMoodysClient, MoodysClient

if TYPE_CHECKING:
    import requests
    from airflow.sdk import ObjectStoragePath

#: Data Bridge deletes take seconds to minutes; they are polled, not deferred.
DATABRIDGE_POLL_SECONDS = 2.0
DATABRIDGE_TIMEOUT_SECONDS = 600.0


class MoodysHook(HttpHook):
    """Client of the Moody's Risk Modeler API on an Airflow HTTP connection.

    :param moodys_conn_id: the connection (default ``[irp] moodys_conn_id``, i.e. ``moodys_default``).
    :param retry_policy: retries of 429/5xx/transport errors and 409 waits.
    :param data_directory: folder of MRI import CSVs when a job configuration has no
        ``data_directory`` key and names files relatively: a local path, or an
        ``ObjectStoragePath`` (any object store Airflow can read).
    :param databridge_poll_seconds: pause between two status reads of a Data Bridge delete.
    :param references: answers of look-ups to share between this hook's calls (a batch's
        ``prepare``), or to start from (a job task's first try); None: each call asks afresh.
    """

    conn_name_attr = "moodys_conn_id"
    default_conn_name = "moodys_default"
    conn_type = "http"
    hook_name = "Moody's Risk Modeler"

    def __init__(
        self,
        moodys_conn_id: str | None = None,
        retry_policy: RetryPolicy | None = None,
        data_directory: str | Path | ObjectStoragePath | None = None,
        databridge_poll_seconds: float = DATABRIDGE_POLL_SECONDS,
        references: References | None = None,
    ) -> None:
        if moodys_conn_id is None:
            from irp.settings import Settings

            moodys_conn_id = Settings.load().moodys_conn_id
        super().__init__(method="GET", http_conn_id=moodys_conn_id)
        self.moodys_conn_id = moodys_conn_id
        self.retry_policy = retry_policy or RetryPolicy()
        self.data_directory = Path(data_directory) if isinstance(data_directory, str) else data_directory
        self.databridge_poll_seconds = databridge_poll_seconds
        self.references = references
        self._client: MoodysClient | None = None
        self._async_client: AsyncMoodysClient | None = None

    # -- connection and clients ----------------------------------------------------------------
    def get_conn(
        self, headers: dict[Any, Any] | None = None, extra_options: dict[str, Any] | None = None
    ) -> requests.Session:
        """A keep-alive ``requests`` session; unlike ``HttpHook`` it puts neither basic auth nor the
        connection extra into headers (the extra holds the resource group and tenant)."""
        import requests

        self._set_base_url(self.get_connection(self.http_conn_id))
        session = self._configure_session_from_mount_adapters(requests.Session())
        session.headers.update(headers or {})
        return session

    def connection_config(self) -> MoodysConnectionConfig:
        conn = self.get_connection(self.moodys_conn_id)
        return MoodysConnectionConfig.from_connection(conn, conn.extra_dejson)

    async def aconnection_config(self) -> MoodysConnectionConfig:
        """Resolved without blocking calls (``aextra_dejson`` masks secrets asynchronously)."""
        conn = await self.aget_connection(self.moodys_conn_id)
        return MoodysConnectionConfig.from_connection(conn, await conn.aextra_dejson())

    @property
    def client(self) -> MoodysClient:
        if self._client is None:
            self._client = MoodysClient(self.connection_config(), self.get_conn(), self.retry_policy)
        return self._client

    @property
    def api(self) -> MoodysApi:
        return MoodysApi(self.client, self.references)

    async def aclient(self) -> AsyncMoodysClient:
        """One shared async client; concurrent first calls must not each create one."""
        if self._async_client is None:
            config = await self.aconnection_config()
            if self._async_client is None:
                self._async_client = AsyncMoodysClient(config, self.retry_policy)
        return self._async_client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        if self._async_client is not None:
            await self._async_client.close()
            self._async_client = None

    async def __aenter__(self) -> MoodysHook:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def test_connection(self) -> tuple[bool, str]:
        try:
            self.api.find_server(DEFAULT_SERVER_NAME)
        except Exception as error:
            return False, str(error)
        return True, "Connection to Moody's succeeded"

    def resolve_file(self, data_directory: Any, name: str) -> Path | ObjectStoragePath:
        """Path of an import file a job names (local or in an object store): absolute, or in the
        job's own data directory, or in the hook's."""
        path = Path(name)
        if path.is_absolute():
            return path
        directory = Path(data_directory) if data_directory else self.data_directory
        if directory is None:
            raise ValueError("no 'data_directory' in the job configuration and no default set")
        return directory / name

    # -- JobBackend ------------------------------------------------------------------------------
    def submit_job(
        self, batch_type: BatchType, job_id: int, job: JobSpec, *, installation_id: UUID
    ) -> SubmissionResult:
        """Submit one job (idempotent per store and ``job_id``); synchronous types are complete on return."""
        context = jobs.SubmissionContext(
            self.api, job_id, BatchType.parse(batch_type), job, self.resolve_file, installation_id
        )
        try:
            return jobs.submit(context)
        except MoodysApiError as error:
            if error.outcome_unknown:
                raise SubmissionOutcomeUnknown(f"{error}: Moody's may have acted on it") from error
            raise

    def rehearse_submissions(self, batch_type: BatchType, specs: Mapping[int, JobSpec]) -> dict[int, dict[str, Rows]]:
        """Per job, the answers its submission's look-ups used (see ``jobs.rehearse``)."""
        return jobs.rehearse(self.api, BatchType.parse(batch_type), specs, self.resolve_file)

    def use_references(self, answers: Mapping[str, Rows]) -> None:
        self.references = References(answers)

    def find_submission(
        self, batch_type: BatchType, job: JobSpec, *, since: datetime, taken: frozenset[str]
    ) -> SubmissionResult | None:
        """What Moody's has of a job whose submission's answer was lost (see ``jobs.find_submission``)."""
        lookup = jobs.SubmissionLookup(
            self.api, BatchType.parse(batch_type), job, since, taken, self.client.config.resource_group_id
        )
        return jobs.find_submission(lookup)

    def get_job_status(self, batch_type: BatchType, workflow_id: str) -> StatusReport:
        response = self.client.request(jobs.status_request(BatchType.parse(batch_type), workflow_id))
        return jobs.parse_status(response.body)

    def cancel_job(self, batch_type: BatchType, workflow_id: str) -> None:
        self.client.request(jobs.cancel_request(BatchType.parse(batch_type), workflow_id))

    async def aget_job_status(self, batch_type: BatchType, workflow_id: str) -> StatusReport:
        client = await self.aclient()
        response = await client.request(jobs.status_request(BatchType.parse(batch_type), workflow_id))
        return jobs.parse_status(response.body)

    async def aget_job_status_list(self, path: ApiPath, workflow_ids: Sequence[str]) -> dict[str, StatusReport]:
        """The statuses of up to ``STATUS_LIST_SIZE`` jobs in one request to a status list
        (a registry entry's ``status_list``), by workflow id; a job Moody's does not list is absent."""
        client = await self.aclient()
        response = await client.request(jobs.status_list_request(path, workflow_ids))
        return jobs.parse_status_list(path, response.body)

    async def acancel_job(self, batch_type: BatchType, workflow_id: str) -> None:
        client = await self.aclient()
        await client.request(jobs.cancel_request(BatchType.parse(batch_type), workflow_id))

    # -- EntityValidator -------------------------------------------------------------------------
    def validate_entities(self, batch_type: BatchType, jobs: Sequence[JobSpec]) -> list[EntityMessage]:
        return validation.validate_entities(self.api, self.resolve_file, BatchType.parse(batch_type), jobs)

    def entity_exists(self, batch_type: BatchType, job: JobSpec) -> bool:
        return validation.entity_exists(self.api, BatchType.parse(batch_type), job)

    def delete_analyses(self, analyses: Sequence[tuple[str, str]]) -> list[str]:
        return validation.delete_analyses(self.api, analyses)

    def delete_groups(self, group_names: Sequence[str]) -> list[str]:
        return validation.delete_groups(self.api, group_names)

    def delete_rdms(self, rdm_names: Sequence[str], server_name: str = DEFAULT_SERVER_NAME) -> list[str]:
        """Delete RDMs by export name and wait until Data Bridge has dropped them (§4.3)."""
        return validation.delete_rdms(
            self.api, rdm_names, server_name, time.sleep, self.databridge_poll_seconds, DATABRIDGE_TIMEOUT_SECONDS
        )

    # -- helpers for the SQL batch types and the RDM seed path -----------------------------------
    def portfolio_mapping_target(self, edm_name: str, portfolio_name: str) -> tuple[str, int]:
        """(physical EDM database name, base portfolio id): the Portfolio Mapping SQL parameters."""
        edm = self.api.edm(edm_name)
        return edm.database_name, self.api.portfolio(edm, portfolio_name).portfolio_id

    def rdm_database(self, rdm_name: str, server_name: str = DEFAULT_SERVER_NAME) -> tuple[int, str]:
        """(databaseId, full database name) of the RDM exported as ``rdm_name`` (exactly one)."""
        return self.api.rdm_database(self.api.server_id(server_name), rdm_name)

    def map_sub_portfolios(
        self, edm_name: str, portfolio_name: str, assignments: Mapping[str, Sequence[str]], keys: jobs.RequestKeys
    ) -> dict[str, int]:
        """Create the sub-portfolios of a base portfolio and give each its accounts (by account number).

        The Portfolio Mapping SQL decides the assignments; this applies them through the API
        (``POST …/portfolios`` with ``X-RMS-RequestId`` = the job's key of the sub-portfolio, then
        ``PATCH …/portfolios/{id}/accounts``), so a retried job neither duplicates a portfolio nor
        an assignment. Returns the number of accounts per sub-portfolio.
        """
        api = self.api
        edm = api.edm(edm_name)
        base = api.portfolio(edm, portfolio_name)
        account_ids = {
            str(row["accountNumber"]): int(row["accountId"]) for row in api.accounts(edm.exposure_id, base.portfolio_id)
        }
        unknown = sorted({number for numbers in assignments.values() for number in numbers} - set(account_ids))
        if unknown:
            shown = ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else "")
            raise MoodysLookupError(f"Accounts not in {edm_name}/{portfolio_name}: {shown}")
        existing = api.find_portfolios(edm.exposure_id, list(assignments))
        mapped: dict[str, int] = {}
        for name, numbers in sorted(assignments.items()):
            portfolio_id = (
                existing[name].portfolio_id
                if name in existing
                else api.create_portfolio(
                    edm.exposure_id,
                    name,
                    f"{name} mapped from {portfolio_name}",
                    keys(jobs.Step.PORTFOLIO, name),
                )
            )
            ids = sorted({account_ids[number] for number in numbers})
            api.add_accounts(edm.exposure_id, portfolio_id, ids)
            mapped[name] = len(ids)
        return mapped
