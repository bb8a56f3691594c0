from __future__ import annotations

import psycopg
import pytest

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchStatus, BatchType, JobStatus
from irp.cycle import archive_cycle
from irp.exceptions import BatchError
from irp.records import BatchStep
from tests.store.conftest import insert_configuration

EDM = BatchType.EDM_CREATION


def count(store, table: str) -> int:
    with store.transaction() as cursor:
        cursor.execute(f"SELECT count(*) AS n FROM {table}")
        return cursor.fetchone()["n"]


def test_create_batch_writes_batch_configurations_and_jobs(store, configuration_id):
    """AS-01."""
    data = [{"Metadata": {}, "Database": name} for name in ("DB_A", "DB_B", "DB_C")]
    step = BatchStep("irp_cycle__2026-Q1", "manual__1", "edm_creation")
    batch_id = batches.create_batch(EDM, configuration_id, data, step=step, store=store)
    batch = batches.read_batch(batch_id, store=store)
    assert (batch.batch_type, batch.status, batch.configuration_id) == (EDM, BatchStatus.INITIATED, configuration_id)
    assert batch.step == step
    configs = batches.get_batch_job_configurations(batch_id, store=store)
    assert [c.job_configuration_data for c in configs] == data
    assert not any(c.skipped or c.overridden for c in configs)
    job_list = batches.get_batch_jobs(batch_id, store=store)
    assert [j.job_configuration_id for j in job_list] == [c.id for c in configs]
    assert all(
        j.status is JobStatus.INITIATED and not j.skipped and j.parent_job_id is None and j.moodys_workflow_id is None
        for j in job_list
    )


def test_create_batch_accepts_display_name_or_slug(store, configuration_id):
    batch_id = batches.create_batch("edm_creation", configuration_id, [], store=store)
    assert batches.read_batch(batch_id, store=store).batch_type is EDM


@pytest.mark.parametrize("status", ["NEW", "ERROR"])
def test_create_batch_refuses_unusable_configuration(store, status):
    """AS-02."""
    config = insert_configuration(store, "2026-Q2", status)
    with pytest.raises(BatchError, match="has invalid status"):
        batches.create_batch(EDM, config, [{}], store=store)
    assert count(store, "irp_batch") == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nonexistent_type", 1, []), "Unknown batch_type 'nonexistent_type'"),
        (("   ", 1, []), "Unknown batch_type"),
        ((EDM, 0, []), r"Invalid configuration_id: 0\. Must be a positive integer"),
        ((EDM, -1, []), "Invalid configuration_id: -1"),
        ((EDM, True, []), "Invalid configuration_id: True"),
        ((EDM, 999999, []), "Configuration with id 999999 not found"),
        ((EDM, 1, [{"a": 1}, "text"]), "Job configuration #1 must be a mapping, got str"),
        ((EDM, 1, [{"a": float("nan")}]), "not JSON-serialisable"),
    ],
)
def test_create_batch_bad_input(store, configuration_id, args, message):
    """AS-03 and friends: a clear BatchError naming the value, nothing written."""
    with pytest.raises(BatchError, match=message):
        batches.create_batch(*args, store=store)
    assert count(store, "irp_batch") == 0


def test_one_batch_per_type_and_configuration(store, configuration_id):
    first = batches.create_batch(EDM, configuration_id, [{}], store=store)
    with pytest.raises(BatchError, match=f"already exists for configuration {configuration_id} \\(batch {first}\\)"):
        batches.create_batch(EDM, configuration_id, [{}], store=store)
    assert count(store, "irp_job") == 1


def test_create_batch_is_atomic_under_an_injected_failure(store, configuration_id):
    """A database failure on the 5,000th job leaves no batch, configuration or job behind."""
    with store.transaction() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION fail_on_5000() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF (SELECT count(*) FROM irp_job) >= 4999 THEN RAISE EXCEPTION 'injected failure'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER fail_on_5000 BEFORE INSERT ON irp_job FOR EACH ROW EXECUTE FUNCTION fail_on_5000();
            """
        )
    with pytest.raises(BatchError, match="Failed to create batch: injected failure"):
        batches.create_batch(EDM, configuration_id, [{"n": n} for n in range(6000)], store=store)
    assert count(store, "irp_batch") == count(store, "irp_job_configuration") == count(store, "irp_job") == 0


@pytest.mark.parametrize(
    "statement",
    [
        # a job configuration of another configuration than its batch's, or of no batch
        "INSERT INTO irp_job_configuration (batch_id, configuration_id, job_configuration_data)"
        " VALUES (%(batch)s, %(other_configuration)s, '{}')",
        "INSERT INTO irp_job_configuration (batch_id, configuration_id, job_configuration_data)"
        " VALUES (%(batch)s + 1000, %(configuration)s, '{}')",
        # a job of another batch than its job configuration's, or of no job configuration
        "INSERT INTO irp_job (batch_id, job_configuration_id) VALUES (%(other_batch)s, %(job_configuration)s)",
        "INSERT INTO irp_job (batch_id, job_configuration_id) VALUES (%(batch)s, %(job_configuration)s + 1000)",
        # a batch, or a configuration, still referenced
        "DELETE FROM irp_batch WHERE id = %(batch)s",
        "DELETE FROM irp_configuration WHERE id = %(configuration)s",
    ],
    ids=[
        "config-of-another-configuration", "config-of-no-batch", "job-of-another-batch", "job-of-no-config",
        "referenced-batch", "referenced-configuration",
    ],
)  # fmt: skip
def test_foreign_keys_tie_jobs_to_their_batch_and_configuration(store, configuration_id, statement):
    """The composite keys of migration 0006 enforce what the four single-column keys did, and more."""
    other_configuration = insert_configuration(store, "2026-Q2")
    batch = batches.create_batch(EDM, configuration_id, [{}], store=store)
    other_batch = batches.create_batch(EDM, other_configuration, [{}], store=store)
    (job,) = batches.get_batch_jobs(batch, store=store)
    ids = {
        "batch": batch,
        "other_batch": other_batch,
        "configuration": configuration_id,
        "other_configuration": other_configuration,
        "job_configuration": job.job_configuration_id,
    }
    with pytest.raises(psycopg.errors.ForeignKeyViolation), store.transaction() as cursor:
        cursor.execute(statement, ids)


def test_create_batch_rejects_text_postgres_cannot_store(store, configuration_id):
    with pytest.raises(BatchError, match="Failed to create batch"):
        batches.create_batch(EDM, configuration_id, [{"ok": 1}, {"bad": "nul\u0000byte"}], store=store)
    assert count(store, "irp_job_configuration") == 0


def test_get_batch_jobs_filters(make_batch, store):
    batch_id, (a, b, c) = make_batch([JobStatus.FINISHED, (JobStatus.FAILED, True), JobStatus.FAILED])
    assert [j.id for j in batches.get_batch_jobs(batch_id, store=store)] == [a, b, c]
    assert [j.id for j in batches.get_batch_jobs(batch_id, skipped=True, store=store)] == [b]
    assert [j.id for j in batches.get_batch_jobs(batch_id, status="FAILED", store=store)] == [b, c]
    assert [j.id for j in batches.get_batch_jobs(batch_id, skipped=False, status=JobStatus.FAILED, store=store)] == [c]
    assert batches.get_batch_jobs(999999, store=store) == []
    with pytest.raises(BatchError, match="Invalid status: 'DONE'"):
        batches.get_batch_jobs(batch_id, status="DONE", store=store)
    with pytest.raises(BatchError, match="Invalid batch_id"):
        batches.get_batch_jobs(0, store=store)


def test_batch_reads_build_every_field_of_their_records(make_batch, store):
    """get_batch_jobs / get_batch_job_configurations build records positionally: each field gets
    its own column, the same record read_job / get_job_config build from a dict row."""
    batch_id, (first, second) = make_batch([JobStatus.FAILED, JobStatus.RUNNING])
    with store.transaction() as cursor:  # a distinct value in every column of the first job
        cursor.execute(
            """UPDATE irp_job SET moodys_workflow_id = 'wf-1', last_error = 'boom',
                   submitted_ts = now() - interval '3 h', completed_ts = now() - interval '2 h',
                   last_tracked_ts = now() - interval '1 h',
                   submission_request = '{"body": {"name": "A"}}', submission_response = '{"id": 7}',
                   submission_attempted_ts = now() - interval '4 h', parent_job_id = %s WHERE id = %s""",
            (second, first),
        )
        cursor.execute(
            "UPDATE irp_job_configuration SET skipped = true, overridden = true, override_reason_txt = 'why',"
            " skipped_reason_txt = 'skip' WHERE batch_id = %s",
            (batch_id,),
        )
    listed = batches.get_batch_jobs(batch_id, store=store)
    assert listed == [jobs.read_job(first, store=store), jobs.read_job(second, store=store)]
    assert (listed[0].status, listed[0].submission_request, listed[0].parent_job_id) == (
        JobStatus.FAILED,
        {"body": {"name": "A"}},
        second,
    )
    assert listed[0].submitted
    assert listed[1].status is JobStatus.RUNNING
    configurations = batches.get_batch_job_configurations(batch_id, store=store)
    assert configurations == [jobs.get_job_config(job_id, store=store) for job_id in (first, second)]
    assert configurations[0].override_reason_txt == "why"
    assert configurations[0].job_configuration_data == {"Database": "DB0"}


def test_read_batch_errors(store):
    with pytest.raises(BatchError, match="Invalid batch_id: 'x'"):
        batches.read_batch("x", store=store)  # type: ignore[arg-type]
    with pytest.raises(BatchError, match="Batch with id 4242 not found"):
        batches.read_batch(4242, store=store)


def test_update_batch_step_attaches_airflow_identifiers(make_batch, store):
    batch_id, _ = make_batch([])
    step = BatchStep("irp_cycle__x", "scheduled__2026", "analysis")
    batches.update_batch_step(batch_id, step, store=store)
    assert batches.read_batch(batch_id, store=store).step == step
    with pytest.raises(BatchError, match="Batch with id 4242 not found"):
        batches.update_batch_step(4242, step, store=store)


def test_activate_batch_sets_batch_and_configuration_active(store, configuration_id):
    batch_id = batches.create_batch(EDM, configuration_id, [{}], store=store)
    batch = batches.activate_batch(batch_id, store=store)
    assert batch.status is BatchStatus.ACTIVE
    assert batch.submitted_ts is not None
    with store.transaction() as cursor:
        cursor.execute("SELECT status FROM irp_configuration WHERE id = %s", (configuration_id,))
        assert cursor.fetchone()["status"] == "ACTIVE"


def test_activate_refuses_archived_cycle_and_unusable_configuration(store, configuration_id):
    """AS-11 / AS-12."""
    batch_id = batches.create_batch(EDM, configuration_id, [{}], store=store)
    with store.transaction() as cursor:
        cursor.execute("UPDATE irp_configuration SET status = 'ERROR' WHERE id = %s", (configuration_id,))
    with pytest.raises(BatchError, match="Must be VALID or ACTIVE to submit"):
        batches.activate_batch(batch_id, store=store)
    with store.transaction() as cursor:
        cursor.execute("UPDATE irp_configuration SET status = 'VALID' WHERE id = %s", (configuration_id,))
    archive_cycle("2026-Q1", store=store)
    with pytest.raises(BatchError, match="Must be ACTIVE to submit"):
        batches.activate_batch(batch_id, store=store)
    assert batches.read_batch(batch_id, store=store).status is BatchStatus.INITIATED


def test_get_batches_for_configuration_in_dependency_order(store, configuration_id):
    for batch_type in (BatchType.ANALYSIS, BatchType.DATA_EXTRACTION, BatchType.GROUPING):
        batches.create_batch(batch_type, configuration_id, [], store=store)
    found = batches.get_batches_for_configuration(configuration_id, store=store)
    assert [b.batch_type for b in found] == [BatchType.DATA_EXTRACTION, BatchType.ANALYSIS, BatchType.GROUPING]
    only = batches.get_batches_for_configuration(configuration_id, "Analysis", store=store)
    assert [b.batch_type for b in only] == [BatchType.ANALYSIS]


def test_get_active_batches_only_of_active_cycles(store):
    active_config = insert_configuration(store, "cycle-a")
    archived_config = insert_configuration(store, "cycle-b")
    b1 = batches.create_batch(EDM, active_config, [{}], store=store)
    b2 = batches.create_batch(EDM, archived_config, [{}], store=store)
    batches.create_batch(BatchType.ANALYSIS, active_config, [{}], store=store)  # stays INITIATED
    batches.activate_batch(b1, store=store)
    batches.activate_batch(b2, store=store)
    archive_cycle("cycle-b", store=store)
    assert [b.id for b in batches.get_active_batches(store=store)] == [b1]


def test_delete_batch_removes_everything_in_one_transaction(make_batch, store):
    """AS-103."""
    batch_id, (job_id,) = make_batch([JobStatus.RUNNING])
    jobs.update_job_status(job_id, JobStatus.FAILED, store=store)
    batches.recon_batch(batch_id, store=store)
    child = jobs.resubmit_job(job_id, job_configuration_data={"Database": "X"}, override_reason="r", store=store)
    assert child
    batches.delete_batch(batch_id, store=store)
    for table in ("irp_batch", "irp_job", "irp_job_configuration", "irp_batch_recon_log"):
        assert count(store, table) == 0, table
    with pytest.raises(BatchError, match="not found"):
        batches.delete_batch(batch_id, store=store)


def test_batch_type_classification():
    synchronous = {t for t in BatchType if t.synchronous}
    assert synchronous == {
        BatchType.DATA_EXTRACTION,
        BatchType.PORTFOLIO_CREATION,
        BatchType.CREATE_REINSURANCE_TREATIES,
        BatchType.PORTFOLIO_MAPPING,
    }
    assert len(BatchType) == 12
    assert BatchType.parse("Export to RDM") is BatchType.parse("export_to_rdm") is BatchType.EXPORT_TO_RDM


def test_store_connection_failure_is_a_store_error():
    from irp.exceptions import StoreError
    from irp.store import Store

    store = Store.from_dsn("postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2", "irp")
    with pytest.raises(StoreError, match="Cannot connect to the irp store"):
        batches.read_batch(1, store=store)
    assert psycopg  # the driver is the real one


def test_create_batches_is_all_or_nothing_and_reuses_existing(store, configuration_id):
    first = batches.create_batches(
        configuration_id, {BatchType.ANALYSIS: [{"a": 1}], BatchType.EDM_CREATION: [{"d": 1}, {"d": 2}]}, store=store
    )
    assert list(first) == [BatchType.EDM_CREATION, BatchType.ANALYSIS]  # dependency order
    again = batches.create_batches(
        configuration_id, {BatchType.ANALYSIS: [{"a": 1}], BatchType.GROUPING: []}, store=store
    )
    assert again[BatchType.ANALYSIS] == first[BatchType.ANALYSIS]
    assert count(store, "irp_job") == 3
    with pytest.raises(BatchError, match="Failed to create batches"):
        batches.create_batches(
            configuration_id, {BatchType.GEOHAZ: [{"ok": 1}], BatchType.MRI_IMPORT: [{"bad": "\u0000"}]}, store=store
        )
    assert {b.batch_type for b in batches.get_batches_for_configuration(configuration_id, store=store)} == {
        BatchType.EDM_CREATION,
        BatchType.ANALYSIS,
        BatchType.GROUPING,
    }
