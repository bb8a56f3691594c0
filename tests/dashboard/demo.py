"""A demo cycle caught mid-run, produced by the real parts: the store's own operations, the real
job backends (``irp.backends.job_backend``, as the DAG's tasks use them) and the Moody's simulator
on a real socket.

The sample workbook is loaded and its batches created as the cycle DAG does; then the batch types
run in the cycle's order. Data Extraction reads the demo source warehouse (``irp_source`` in
Postgres) into the cycle's CSVs; the Moody's batch types go through ``MoodysHook`` over HTTP to the
simulator (ticks mode: a job moves one phase per status read, or when told to between two polls);
Portfolio Mapping runs its SQL and maps the sub-portfolios through the hook. The first batch types
complete (MRI Import after its failed job was resubmitted), Analysis is caught running with every
kind of job outcome, the rest are not started.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from irp import batch as batches
from irp import job as jobs
from irp.backends import job_backend
from irp.batch import configuration_data
from irp.configuration import generate_job_configurations, load_configuration, required_batch_types
from irp.constants import BatchStatus, BatchType, JobStatus
from irp.cycles import DAG_ID_PREFIX
from irp.exceptions import JobError
from irp.moodys.api import ApiPath
from irp.moodys.protocol import JobBackend
from irp.recon import recon_batch
from irp.records import BatchStep, Job
from irp.settings import Settings
from irp.store import Store
from moodys_simulator.testing import RunningSimulator, running_simulator
from tests.conftest import PG_DSN, ROOT

SAMPLE_WORKBOOK = ROOT / "include" / "workbooks" / "sample_cycle.xlsx"
SOURCE_DATASET = ROOT / "include" / "demo" / "source_dataset.sql"
DEMO_CYCLE = "demo-2026-Q4"
RUN_ID = "manual__2026-11-28T09:00:00+00:00"
API_KEY = "sim-key"
#: What the simulator answers (HTTP 400) to the submission of one Analysis job, and what the job keeps of it.
REFUSAL = "<profile> 'DLM 2026' is not licensed & cannot be used"
SUBMISSION_ERROR = f"Moody's API POST {ApiPath.MODEL_JOBS} failed (HTTP 400): {REFUSAL}"
MRI_FAILURE = "Import failed: 3 locations reference unknown accounts"

#: Batch types completed before the cycle reached Analysis; MRI Import needed a resubmission.
COMPLETED_TYPES = (
    BatchType.DATA_EXTRACTION,
    BatchType.EDM_CREATION,
    BatchType.PORTFOLIO_CREATION,
    BatchType.MRI_IMPORT,
    BatchType.CREATE_REINSURANCE_TREATIES,
    BatchType.EDM_DB_UPGRADE,
    BatchType.GEOHAZ,
    BatchType.PORTFOLIO_MAPPING,
)
RESUBMITTED_TYPE = BatchType.MRI_IMPORT
RUNNING_TYPE = BatchType.ANALYSIS

#: How a job is seen: per status poll, the phases its Moody's job went through unseen since the
#: previous one (the poll interval is longer than a phase); the last poll must read the status.
#: Phases in ticks mode: QUEUED, PENDING, RUNNING 33 %, RUNNING 66 % (or the failure's progress), end.
POLLS: dict[str, tuple[tuple[int, ...], JobStatus]] = {
    "finished": ((0, 1, 1), JobStatus.FINISHED),  # QUEUED, RUNNING 33 %, FINISHED
    "failed": ((0, 1, 1), JobStatus.FAILED),  # QUEUED, RUNNING 33 %, FAILED
    "queued": ((0,), JobStatus.QUEUED),
    "pending": ((0, 0), JobStatus.PENDING),  # QUEUED, PENDING
    "running": ((0, 1), JobStatus.RUNNING),  # QUEUED, RUNNING 33 %
    "running further": ((0, 1, 0), JobStatus.RUNNING),  # QUEUED, RUNNING 33 %, RUNNING 66 %
}
#: The Analysis jobs, in order: the first ones end like this (``None``: refused), the rest finish.
ANALYSIS_OUTCOMES = ("failed", None, "queued", "running", "running further", "pending")


@dataclass
class DemoCycle:
    name: str
    batch_ids: dict[BatchType, int]
    statuses: dict[BatchType, BatchStatus] = field(default_factory=dict)
    jobs: dict[BatchType, list[Job]] = field(default_factory=dict)  # every job, as the store reads it back
    resubmitted: tuple[int, int] = (0, 0)  # (failed original, its replacement)
    error_job_id: int = 0

    @property
    def dag_id(self) -> str:
        return DAG_ID_PREFIX + self.name


def _postgres_connection() -> str:
    return json.dumps({"conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": "postgres",
                       "schema": "postgres"})  # fmt: skip


@contextmanager
def demo_services(store: Store, storage: Path) -> Iterator[RunningSimulator]:
    """The source warehouse, the Moody's simulator and the ``[irp]`` settings and connections the
    job backends read, as a deployment configures them (undone on exit)."""
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(SOURCE_DATASET.read_text().encode())
    with (
        running_simulator(mode="ticks", api_keys=(API_KEY,), seed_workbook=str(SAMPLE_WORKBOOK)) as sim,
        pytest.MonkeyPatch.context() as env,
    ):
        moodys = {"conn_type": "http", "host": sim.base_url, "password": API_KEY,
                  "extra": {"resource_group_id": "rg-test"}}  # fmt: skip
        env.setenv("AIRFLOW__IRP__STORE_SCHEMA", store.schema)
        env.setenv("AIRFLOW__IRP__STORAGE_ROOT", str(storage))
        env.setenv("AIRFLOW_CONN_IRP_POSTGRES", _postgres_connection())
        env.setenv("AIRFLOW_CONN_SOURCE_SQL", _postgres_connection())
        env.setenv("AIRFLOW_CONN_DATABRIDGE", _postgres_connection())
        env.setenv("AIRFLOW_CONN_MOODYS_DEFAULT", json.dumps(moodys))
        yield sim


class _Run:
    """One batch type's run: its backend, and status polls of its jobs."""

    def __init__(self, sim: RunningSimulator, store: Store, backend: JobBackend) -> None:
        self.sim, self.store, self.backend = sim, store, backend

    def submit(self, job_id: int) -> Job:
        return jobs.submit_job(job_id, self.backend, store=self.store)

    def follow(self, job_id: int, outcome: str) -> None:
        """Poll the job as its sensor does until it is seen as ``outcome`` says."""
        skips, expected = POLLS[outcome]
        workflow_id = jobs.read_job(job_id, store=self.store).moodys_workflow_id
        status = None
        for skip in skips:
            if skip:
                self.sim.admin.advance_job(workflow_id, by=skip)
            status = jobs.track_job_status(job_id, self.backend, store=self.store)
        if status is not expected:
            raise AssertionError(f"job {job_id} ({workflow_id}) is {status}, expected {expected}")

    def run(self, batch_type: BatchType, job_id: int, outcome: str = "finished") -> None:
        self.submit(job_id)
        if not batch_type.synchronous:
            self.follow(job_id, outcome)

    def close(self) -> None:
        hook = getattr(self.backend, "hook", self.backend)
        if hasattr(hook, "close"):
            hook.close()


def _entity(job_id: int, key: str, store: Store) -> str:
    return str(jobs.get_job_config(job_id, store=store).job_configuration_data[key])


def _run_mri_import(run: _Run, job_ids: Sequence[int], batch_id: int, demo: DemoCycle) -> None:
    """The first import fails in Moody's; once the cause is fixed it is resubmitted and finishes."""
    store, admin = run.store, run.sim.admin
    portfolio = re.escape(_entity(job_ids[0], "Portfolio", store))
    admin.job_outcome(kind="import", nameRegex=f"^PORTFOLIO: {portfolio}$", outcome="FAILED", atProgress=30,
                      message=MRI_FAILURE)  # fmt: skip
    for index, job_id in enumerate(job_ids):
        run.run(BatchType.MRI_IMPORT, job_id, "failed" if index == 0 else "finished")
    recon_batch(batch_id, store=store)
    admin.clear_job_outcomes()
    replacement = jobs.resubmit_job(job_ids[0], backend=run.backend, store=store)
    run.follow(replacement, "finished")
    demo.resubmitted = (job_ids[0], replacement)


def _run_analysis(run: _Run, job_ids: Sequence[int], demo: DemoCycle) -> None:
    """Caught mid-run: one job failed in Moody's, one refused at submission, others still going."""
    store, admin = run.store, run.sim.admin
    outcomes = [*ANALYSIS_OUTCOMES, *["finished"] * (len(job_ids) - len(ANALYSIS_OUTCOMES))]
    for job_id, outcome in zip(job_ids, outcomes, strict=True):
        if outcome is None:
            admin.fault(method="POST", pathRegex=f"^{ApiPath.MODEL_JOBS}$", status=400, times=1,
                        body={"code": "PROFILE_NOT_LICENSED", "message": REFUSAL})  # fmt: skip
            try:
                run.submit(job_id)
            except JobError:
                demo.error_job_id = job_id
                continue
            raise AssertionError(f"the submission of job {job_id} was not refused")
        if outcome == "failed":
            name = re.escape(_entity(job_id, "Analysis Name", store))
            admin.job_outcome(kind="model", nameRegex=f"^{name}$", outcome="FAILED", atProgress=40)
        run.run(BatchType.ANALYSIS, job_id, outcome)
    admin.clear_job_outcomes()


def build_demo_cycle(store: Store, name: str, sim: RunningSimulator) -> DemoCycle:
    """Run the cycle ``name`` of the sample workbook up to its Analysis (call within ``demo_services``)."""
    configuration_id = load_configuration(name, SAMPLE_WORKBOOK, store=store).configuration_id
    document = configuration_data(configuration_id, store=store)
    wanted = {bt: generate_job_configurations(document, bt) for bt in required_batch_types(document)}
    demo = DemoCycle(name, batches.create_batches(configuration_id, wanted, store=store))
    settings = Settings.load()
    for batch_type, batch_id in demo.batch_ids.items():  # in the cycle's order
        if batch_type not in (*COMPLETED_TYPES, RUNNING_TYPE):
            continue
        batches.activate_batch(batch_id, step=BatchStep(demo.dag_id, RUN_ID, batch_type.slug), store=store)
        job_ids = [job.id for job in batches.get_batch_jobs(batch_id, store=store)]
        run = _Run(sim, store, job_backend(batch_type, name, settings))
        try:
            if batch_type is RESUBMITTED_TYPE:
                _run_mri_import(run, job_ids, batch_id, demo)
            elif batch_type is RUNNING_TYPE:
                _run_analysis(run, job_ids, demo)
            else:
                for job_id in job_ids:
                    run.run(batch_type, job_id)
        finally:
            run.close()
        recon_batch(batch_id, store=store)
    for batch_type, batch_id in demo.batch_ids.items():
        demo.statuses[batch_type] = batches.read_batch(batch_id, store=store).status
        demo.jobs[batch_type] = batches.get_batch_jobs(batch_id, store=store)
    return demo
