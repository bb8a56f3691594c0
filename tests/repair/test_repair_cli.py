"""``python -m irp job|batch|cycle …``: the repair DAG's repairs on the command line, same checks,
exit 1 with every reason and nothing changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from irp import job as jobs
from irp.__main__ import main
from irp.constants import BatchStatus, BatchType, CycleStatus, JobStatus
from irp.cycle import read_cycle
from irp.repair import repair_log
from irp.repair_request import RepairAction, RepairOrigin
from moodys_simulator.testing import RunningSimulator
from tests.conftest import PG_DSN, ROOT
from tests.repair.conftest import LoadedCycle
from tests.repair.test_repair_actions import submit_stalled


def run(loaded: LoadedCycle, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--dsn", PG_DSN, "--schema", loaded.store.schema])
    out, err = capsys.readouterr()
    return code, out, err


def test_python_m_irp_resubmits_a_job_with_changes(loaded: LoadedCycle) -> None:
    job = loaded.job(BatchType.ANALYSIS, 2)
    jobs.update_job_status(job.id, JobStatus.FAILED, store=loaded.store)
    command = [
        sys.executable, "-m", "irp", "job", "resubmit", str(job.id), "--parameters", '{"Tag 2": "rerun"}',
        "--reason", "tag the rerun", "--user", "ana", "--dsn", PG_DSN, "--schema", loaded.store.schema,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)

    assert done.returncode == 0, done.stderr
    (record,) = repair_log(job_id=job.id, store=loaded.store)
    assert (record.action, record.requested_by, record.origin) == (RepairAction.RESUBMIT_WITH_CHANGES, "ana",
                                                                    RepairOrigin.CLI)  # fmt: skip
    assert f"job {record.new_job_id} (configuration {record.new_job_configuration_id}, changed: Tag 2)" in done.stdout
    assert done.stdout.splitlines()[-1] == f"Recorded as repair {record.id} of cycle {loaded.name} (ana)."
    assert loaded.data(record.new_job_id or 0)["Tag 2"] == "rerun"


def test_bad_parameters_exit_1_with_every_field_and_change_nothing(
    loaded: LoadedCycle, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    job = loaded.job(BatchType.ANALYSIS)
    changes = tmp_path / "changes.json"
    changes.write_text(json.dumps({"Event Rate": "RMS 1999", "Tag 1": ""}))
    before = loaded.snapshot()

    code, out, err = run(loaded, capsys, "job", "resubmit", str(job.id), "--parameters", f"@{changes}", "--reason", "x")

    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "error: Repair refused, nothing was changed:",
        "  parameters.Event Rate: Event Rate 'RMS 1999' is not found in the Event Rate Schemes list of Moody's "
        "Reference Data",
        "  parameters.Tag 1: Tag 1 is blank; every row needs a value",
    ]
    assert loaded.snapshot() == before


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["job", "resubmit", "{job}", "--parameters", "[not json", "--reason", "x"],
         "  parameters: not a readable JSON object: "),
        (["job", "skip", "999999", "--reason", "x"], "  job_id: Job with id 999999 not found"),
        (["job", "skip", "{job}", "--reason", " "], "  reason: a reason is required: it is kept with the repair"),
        (["job", "cancel", "{job}", "--reason", "x"], "  job_id: job {job} is INITIATED: nothing to cancel"),
        (["cycle", "archive", "no-such-cycle", "--reason", "x"], "  cycle: Cycle 'no-such-cycle' not found"),
    ],
)  # fmt: skip
def test_refusals_exit_1(
    loaded: LoadedCycle, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    job = loaded.job(BatchType.EDM_CREATION)
    before = loaded.snapshot()
    code, out, err = run(loaded, capsys, *(arg.format(job=job.id) for arg in argv))
    assert (code, out) == (1, "")
    assert err.splitlines()[1].startswith(expected.format(job=job.id))
    assert loaded.snapshot() == before


def test_skip_cancel_archive_and_the_repair_list(
    loaded: LoadedCycle, moodys: RunningSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    edm_jobs = submit_stalled(loaded, moodys)
    batch_id = loaded.batch_ids[BatchType.EDM_CREATION]
    grouping = loaded.job(BatchType.GROUPING)

    assert run(loaded, capsys, "job", "skip", str(grouping.id), "--reason", "group dropped", "--user", "bo")[0] == 0
    code, out, _ = run(loaded, capsys, "job", "cancel", str(edm_jobs[0]), "--reason", "wrong EDM", "--user", "bo")
    assert code == 0
    assert f"Cancelled: job {edm_jobs[0]} CANCELLED." in out
    code, out, _ = run(loaded, capsys, "batch", "cancel", str(batch_id), "--reason", "stop", "--user", "bo")
    assert code == 0
    assert f"EDM Creation batch {batch_id} reconciles to {BatchStatus.CANCELLED}." in out
    code, out, _ = run(loaded, capsys, "cycle", "archive", loaded.name, "--reason", "edited workbook", "--user", "bo")
    assert code == 0
    assert read_cycle(loaded.name, store=loaded.store).status is CycleStatus.ARCHIVED

    code, out, _ = run(loaded, capsys, "cycle", "repairs", loaded.name)
    assert code == 0
    listed = [line.split("\t") for line in out.splitlines()]
    assert [(row[2], row[3], row[4]) for row in listed] == [
        ("bo (cli)", f"archive_cycle cycle {loaded.name}", "edited workbook"),
        ("bo (cli)", f"cancel_batch batch {batch_id}", "stop"),
        ("bo (cli)", f"cancel_job job {edm_jobs[0]}", "wrong EDM"),
        ("bo (cli)", f"skip_job job {grouping.id}", "group dropped"),
    ]
    assert run(loaded, capsys, "cycle", "archive", loaded.name, "--reason", "again")[0] == 1
