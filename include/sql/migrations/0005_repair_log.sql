-- Repairs people made (the irp_repair DAG or `python -m irp`): what, on which cycle, batch and
-- job, who asked, when and why, and what it changed. The Airflow DAG run is Airflow's own audit
-- trail; this table keeps the same facts beside the batches and jobs they changed, for the
-- dashboard and reports. Ids are plain integers (no foreign keys), so the record outlives a
-- deleted batch, as override_job_configuration_id does.
CREATE TABLE irp_repair_log (
    id                       SERIAL PRIMARY KEY,
    action                   VARCHAR(40) NOT NULL CHECK (action IN (
        'resubmit_with_changes', 'skip_job', 'cancel_job', 'cancel_batch', 'archive_cycle')),
    cycle_name               VARCHAR(255) NOT NULL,
    batch_id                 INTEGER,
    job_id                   INTEGER,
    new_job_id               INTEGER,
    job_configuration_id     INTEGER,
    new_job_configuration_id INTEGER,
    reason                   VARCHAR(1000) NOT NULL CHECK (btrim(reason) <> ''),
    requested_by             VARCHAR(250) NOT NULL,
    origin                   VARCHAR(20) NOT NULL CHECK (origin IN ('airflow', 'cli')),
    dag_id                   VARCHAR(250),
    run_id                   VARCHAR(250),
    parameters               JSONB,
    outcome                  JSONB NOT NULL,
    created_ts               TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX idx_repair_log_cycle ON irp_repair_log (cycle_name, id);
CREATE INDEX idx_repair_log_batch ON irp_repair_log (batch_id);
CREATE INDEX idx_repair_log_job ON irp_repair_log (job_id);
