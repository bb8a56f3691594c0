-- The batch/job store, compatible with the tables and enum literals of the framework we
-- replace (specs/batch_job.md §1). Notebook stages/steps become Airflow identifiers on
-- irp_batch (dag_id, run_id, task_group_id).

CREATE TYPE cycle_status_enum AS ENUM ('ACTIVE', 'ARCHIVED');
CREATE TYPE configuration_status_enum AS ENUM ('NEW', 'VALID', 'ACTIVE', 'ERROR');
CREATE TYPE batch_status_enum AS ENUM ('INITIATED', 'ACTIVE', 'COMPLETED', 'FAILED', 'CANCELLED', 'ERROR');
CREATE TYPE job_status_enum AS ENUM (
    'INITIATED', 'SUBMITTED', 'PENDING', 'QUEUED', 'RUNNING', 'FINISHED', 'FAILED',
    'CANCEL_REQUESTED', 'CANCELLING', 'CANCELLED', 'ERROR'
);

CREATE TABLE irp_cycle (
    id          SERIAL PRIMARY KEY,
    cycle_name  VARCHAR(255) NOT NULL UNIQUE,
    status      cycle_status_enum DEFAULT 'ACTIVE',
    created_ts  TIMESTAMPTZ DEFAULT now(),
    archived_ts TIMESTAMPTZ
);

CREATE TABLE irp_configuration (
    id                      SERIAL PRIMARY KEY,
    cycle_id                INTEGER NOT NULL REFERENCES irp_cycle (id) ON DELETE CASCADE,
    configuration_file_name VARCHAR(2000) NOT NULL,
    configuration_data      JSONB NOT NULL,
    status                  configuration_status_enum DEFAULT 'NEW',
    file_last_updated_ts    TIMESTAMPTZ NOT NULL,
    -- SHA-256 of the workbook bytes: a reload of a changed workbook is a new configuration.
    content_sha256          CHAR(64),
    created_ts              TIMESTAMPTZ DEFAULT now(),
    updated_ts              TIMESTAMPTZ DEFAULT now()
);

CREATE TABLE irp_batch (
    id               SERIAL PRIMARY KEY,
    configuration_id INTEGER NOT NULL REFERENCES irp_configuration (id),
    batch_type       VARCHAR(255) NOT NULL CHECK (batch_type IN (
        'Data Extraction', 'EDM Creation', 'Portfolio Creation', 'MRI Import',
        'Create Reinsurance Treaties', 'EDM DB Upgrade', 'GeoHaz', 'Portfolio Mapping',
        'Analysis', 'Grouping', 'Grouping Rollup', 'Export to RDM')),
    status           batch_status_enum DEFAULT 'INITIATED',
    -- The Airflow run that owns the batch (was irp_step in the notebook framework).
    dag_id           VARCHAR(250),
    run_id           VARCHAR(250),
    task_group_id    VARCHAR(250),
    submitted_ts     TIMESTAMPTZ,
    completed_ts     TIMESTAMPTZ,
    created_ts       TIMESTAMPTZ DEFAULT now(),
    updated_ts       TIMESTAMPTZ DEFAULT now(),
    -- One batch per batch type and configuration (the reference allowed duplicates, §10.2).
    CONSTRAINT uq_batch_configuration_type UNIQUE (configuration_id, batch_type)
);

CREATE TABLE irp_job_configuration (
    id                            SERIAL PRIMARY KEY,
    batch_id                      INTEGER NOT NULL REFERENCES irp_batch (id),
    configuration_id              INTEGER NOT NULL REFERENCES irp_configuration (id),
    job_configuration_data        JSONB NOT NULL,
    skipped                       BOOLEAN DEFAULT FALSE,
    overridden                    BOOLEAN DEFAULT FALSE,
    override_reason_txt           VARCHAR(1000),
    parent_job_configuration_id   INTEGER REFERENCES irp_job_configuration (id),
    skipped_reason_txt            VARCHAR(1000),
    override_job_configuration_id INTEGER REFERENCES irp_job_configuration (id),
    created_ts                    TIMESTAMPTZ DEFAULT now(),
    updated_ts                    TIMESTAMPTZ DEFAULT now()
);

CREATE TABLE irp_job (
    id                   SERIAL PRIMARY KEY,
    batch_id             INTEGER NOT NULL REFERENCES irp_batch (id) ON DELETE CASCADE,
    job_configuration_id INTEGER NOT NULL REFERENCES irp_job_configuration (id),
    moodys_workflow_id   VARCHAR(50),
    status               job_status_enum DEFAULT 'INITIATED',
    skipped              BOOLEAN DEFAULT FALSE,
    last_error           TEXT,
    parent_job_id        INTEGER REFERENCES irp_job (id),
    submitted_ts         TIMESTAMPTZ,
    completed_ts         TIMESTAMPTZ,
    last_tracked_ts      TIMESTAMPTZ,
    created_ts           TIMESTAMPTZ DEFAULT now(),
    updated_ts           TIMESTAMPTZ DEFAULT now(),
    submission_request   JSONB,
    submission_response  JSONB
);

CREATE TABLE irp_batch_recon_log (
    id            SERIAL PRIMARY KEY,
    batch_id      INTEGER NOT NULL REFERENCES irp_batch (id) ON DELETE CASCADE,
    recon_ts      TIMESTAMPTZ DEFAULT now(),
    recon_result  batch_status_enum NOT NULL,
    recon_summary JSONB NOT NULL
);

CREATE TABLE irp_job_tracking_log (
    id                 SERIAL PRIMARY KEY,
    job_id             INTEGER NOT NULL REFERENCES irp_job (id) ON DELETE CASCADE,
    tracked_ts         TIMESTAMPTZ DEFAULT now(),
    moodys_workflow_id VARCHAR(50) NOT NULL,
    job_status         job_status_enum NOT NULL,
    tracking_data      JSONB
);

CREATE INDEX idx_configuration_cycle ON irp_configuration (cycle_id);
CREATE INDEX idx_batch_configuration ON irp_batch (configuration_id);
CREATE INDEX idx_batch_status ON irp_batch (status);
CREATE INDEX idx_batch_type ON irp_batch (batch_type);
CREATE INDEX idx_batch_dag_run ON irp_batch (dag_id, run_id);
CREATE INDEX idx_job_configuration_batch ON irp_job_configuration (batch_id);
CREATE INDEX idx_job_configuration_parent ON irp_job_configuration (parent_job_configuration_id);
CREATE INDEX idx_job_configuration_override ON irp_job_configuration (override_job_configuration_id);
CREATE INDEX idx_job_batch ON irp_job (batch_id);
CREATE INDEX idx_job_status ON irp_job (status);
CREATE INDEX idx_job_configuration ON irp_job (job_configuration_id);
CREATE INDEX idx_job_parent ON irp_job (parent_job_id);
CREATE INDEX idx_recon_batch ON irp_batch_recon_log (batch_id);
CREATE INDEX idx_recon_ts ON irp_batch_recon_log (recon_ts DESC);
CREATE INDEX idx_tracking_job ON irp_job_tracking_log (job_id);
CREATE INDEX idx_tracking_ts ON irp_job_tracking_log (tracked_ts DESC);
