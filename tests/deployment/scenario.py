"""One cycle run on the deployment and what the tier asserts about every run: how the run ended,
each batch's status, exactly one Moody's job per store job, and the Teams messages sent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from irp.constants import SYNCHRONOUS_WORKFLOW_ID, BatchStatus, BatchType
from irp.reports import cycle_batches
from tests.deployment.deployment import Deployment, Services

MINIMAL_WORKBOOK = "minimal.xlsx"  # written into the deployment's home (tools/make_sample_workbook.py --minimal)
#: Every cycle the tier runs, declared before the deployment starts (one DAG each): name ->
#: (workbook, on_existing). The happy path runs the whole sample; fault scenarios the minimal cycle,
#: which has every batch type at a third of the task instances.
CYCLES: dict[str, tuple[str, str]] = {
    "dep-happy": ("sample", "rerun"),
    "dep-failure": ("minimal", "rerun"),
    "dep-storm": ("minimal", "rerun"),
    "dep-lost": ("minimal", "rerun"),
    "dep-triggerer": ("minimal", "rerun"),
    "dep-runners": ("minimal", "rerun"),
    "dep-scheduler": ("minimal", "rerun"),
    "dep-worker": ("minimal", "rerun"),
    "dep-stop": ("minimal", "rerun"),
    "dep-ask": ("minimal", "ask"),
    "dep-repair": ("minimal", "rerun"),
}
ALL_COMPLETED = {batch_type: BatchStatus.COMPLETED for batch_type in BatchType}
#: Job counts of the sample workbook per batch type (configuration spec, sample cycle).
SAMPLE_JOBS = {
    BatchType.DATA_EXTRACTION: 4, BatchType.EDM_CREATION: 3, BatchType.PORTFOLIO_CREATION: 4,
    BatchType.MRI_IMPORT: 4, BatchType.CREATE_REINSURANCE_TREATIES: 5, BatchType.EDM_DB_UPGRADE: 3,
    BatchType.GEOHAZ: 4, BatchType.PORTFOLIO_MAPPING: 4, BatchType.ANALYSIS: 9, BatchType.GROUPING: 4,
    BatchType.GROUPING_ROLLUP: 2, BatchType.EXPORT_TO_RDM: 15,
}  # fmt: skip
MINIMAL_JOBS = {**dict.fromkeys(BatchType, 1), BatchType.CREATE_REINSURANCE_TREATIES: 2, BatchType.ANALYSIS: 2,
                BatchType.EXPORT_TO_RDM: 4}  # fmt: skip
EXPECTED_JOBS = {"sample": SAMPLE_JOBS, "minimal": MINIMAL_JOBS}


@dataclass
class CycleRun:
    """A declared cycle (tests/deployment/conftest.py ``CYCLES``) run through the REST API."""

    deployment: Deployment
    services: Services
    name: str
    run_id: str = ""
    history: list[str] = field(default_factory=list)

    @property
    def dag_id(self) -> str:
        return f"irp_cycle__{self.name}"

    @property
    def admin(self) -> Any:
        return self.services.simulator.admin

    def start(self, conf: Mapping[str, Any] | None = None, prepare: Callable[[Any], None] | None = None) -> str:
        """A clean Moody's tenant and Teams channel (``prepare`` then sets faults or outcomes on the
        simulator's admin), then trigger the cycle's DAG."""
        self.admin.reset()
        self.admin.clear_faults()
        self.admin.clear_job_outcomes()
        self.services.teams.messages.clear()
        if prepare is not None:
            prepare(self.admin)
        self.deployment.wait_for_dag(self.dag_id)
        self.run_id = self.deployment.trigger(self.dag_id, conf)
        return self.run_id

    def wait(self, timeout: float = 900) -> str:
        return self.deployment.wait_for_run(self.dag_id, self.run_id, timeout)

    def tasks(self) -> list[dict[str, Any]]:
        return self.deployment.task_instances(self.dag_id, self.run_id)

    def wait_for_tasks(
        self, predicate: Callable[[list[dict[str, Any]]], bool], what: str, timeout: float = 600
    ) -> list[dict[str, Any]]:
        return self.deployment.wait_for_tasks(self.dag_id, self.run_id, predicate, what, timeout)

    def clear_failed(self) -> list[dict[str, Any]]:
        """A person's "Clear" on each failed task instance, downstream included (the UI's default)."""
        failed = [ti for ti in self.tasks() if ti["state"] == "failed"]
        assert failed, "nothing failed to clear"
        return self.deployment.clear(self.dag_id, self.run_id, failed)

    # -- what every scenario asserts ------------------------------------------------------------------
    def batch_statuses(self) -> dict[BatchType, BatchStatus]:
        return {
            BatchType(row.batch_type): BatchStatus(row.status)
            for row in cycle_batches(self.name, store=self.services.store)
        }

    def store_jobs(self) -> list[dict[str, Any]]:
        with self.services.store.transaction() as cursor:
            cursor.execute(
                """
                SELECT j.id, j.status::text AS status, j.skipped, j.moodys_workflow_id, j.parent_job_id,
                       b.batch_type::text AS batch_type
                FROM irp_job j JOIN irp_batch b ON b.id = j.batch_id
                JOIN irp_configuration c ON c.id = b.configuration_id JOIN irp_cycle y ON y.id = c.cycle_id
                WHERE y.cycle_name = %s ORDER BY j.id
                """,
                (self.name,),
            )
            return list(cursor.fetchall())

    def moodys_jobs(self) -> list[dict[str, Any]]:
        return list(self.admin.state()["jobs"])

    def assert_one_moodys_job_per_store_job(self) -> None:
        """No two store jobs share a Moody's job, and Moody's has no job that no store job owns."""
        async_jobs = [
            j for j in self.store_jobs() if j["moodys_workflow_id"] not in (None, "", SYNCHRONOUS_WORKFLOW_ID)
        ]
        owners = Counter(str(j["moodys_workflow_id"]) for j in async_jobs)
        assert [w for w, n in owners.items() if n > 1] == []
        moodys = Counter(str(job["jobId"]) for job in self.moodys_jobs())
        assert sorted(moodys) == sorted(owners), (
            f"Moody's jobs without a store job: {sorted(set(moodys) - set(owners))}; "
            f"store jobs without a Moody's job: {sorted(set(owners) - set(moodys))}"
        )

    def assert_completed(self) -> None:
        """Every batch COMPLETED with every live job FINISHED, the workbook's job count per batch type."""
        assert self.batch_statuses() == ALL_COMPLETED
        live = Counter(BatchType(j["batch_type"]) for j in self.store_jobs() if not j["skipped"])
        assert live == EXPECTED_JOBS[CYCLES[self.name][0]]
        assert {j["status"] for j in self.store_jobs() if not j["skipped"]} == {"FINISHED"}
        self.assert_one_moodys_job_per_store_job()

    def teams_titles(self) -> list[str]:
        return self.services.teams.titles()


def by_task(tis: list[dict[str, Any]], task_id: str) -> list[dict[str, Any]]:
    return [ti for ti in tis if ti["task_id"] == task_id]


def states_of(tis: list[dict[str, Any]], task_id: str) -> list[str | None]:
    return [ti["state"] for ti in by_task(tis, task_id)]


def group_states(tis: list[dict[str, Any]]) -> dict[str, set[str | None]]:
    """Task group (batch type slug, or the task id of a top-level task) -> the states of its tasks."""
    groups: dict[str, set[str | None]] = {}
    for ti in tis:
        groups.setdefault(ti["task_id"].split(".", 1)[0], set()).add(ti["state"])
    return groups


def task_processes_talking_to(port: int, roots: list[int]) -> list[int]:
    """Pids of task processes (descendants of ``roots``, the executor's processes) with an open
    connection to ``port``: the task runners whose HTTP request is in flight."""
    import psutil

    found = []
    for root in roots:
        try:
            children = psutil.Process(root).children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        for child in children:
            try:
                connections = child.net_connections(kind="tcp")
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if any(c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED for c in connections):
                found.append(child.pid)
    return found


class Storm:
    """Rate limits and outages across a whole run, as the issue saw them: every ``every`` seconds a
    window of ``window`` seconds in which every Moody's call is answered 429 (Retry-After 1 s) or
    503, alternating -- about a third of the calls."""

    def __init__(self, admin: Any, every: float = 9.0, window: float = 3.0) -> None:
        import threading

        self.admin = admin
        self.every = every
        self.window = window
        self.windows = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every - self.window):
            status = 429 if self.windows % 2 == 0 else 503
            self.admin.fault(pathRegex=".", status=status, retryAfter=1, forSeconds=self.window)
            self.windows += 1
            self._stop.wait(self.window)

    def hits(self) -> int:
        return sum(rule["hits"] for rule in self.admin.state()["faults"])

    def __enter__(self) -> Storm:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.admin.clear_faults()
