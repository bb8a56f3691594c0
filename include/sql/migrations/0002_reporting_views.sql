-- Reporting objects of the framework we replace (specs/batch_job.md §1.6), so existing
-- dashboards and reports keep working. Fixed: job sums per batch are no longer inflated by
-- a fan-out join (BUG-1); skipped CANCEL_REQUESTED/CANCELLING jobs have a rule (BUG-35);
-- needs_attention ignores skipped jobs. The notebook step id is replaced by the Airflow
-- identifiers of the batch. No workflow decision reads these views.

CREATE TABLE irp_job_status_rule (
    id               SERIAL PRIMARY KEY,
    skipped          BOOLEAN NOT NULL,
    status           VARCHAR(50) NOT NULL,
    report_status    VARCHAR(50) NOT NULL,
    age_calculation  VARCHAR(100) NOT NULL,
    next_best_action VARCHAR(200) NOT NULL,
    is_terminal      BOOLEAN DEFAULT FALSE,
    created_ts       TIMESTAMP DEFAULT now(),
    UNIQUE (skipped, status)
);

INSERT INTO irp_job_status_rule (skipped, status, report_status, age_calculation, next_best_action, is_terminal)
SELECT FALSE, 'INITIATED', 'UNSUBMITTED', 'now(UTC) - created_ts', 'Submit Batch', FALSE
UNION ALL
SELECT FALSE, s, 'ACTIVE', 'now(UTC) - submitted_ts', 'Track Batch', FALSE
FROM unnest(ARRAY['SUBMITTED', 'QUEUED', 'PENDING', 'RUNNING', 'CANCEL_REQUESTED', 'CANCELLING']) AS s
UNION ALL SELECT FALSE, 'FINISHED', 'FINISHED', 'completed_ts - submitted_ts', '', TRUE
UNION ALL SELECT FALSE, 'FAILED', 'FAILED', 'completed_ts - submitted_ts',
                 'Resubmit OR Skip after Manual Operation on Moody''s', TRUE
UNION ALL SELECT FALSE, 'CANCELLED', 'CANCELLED', 'completed_ts - submitted_ts', 'Skip Configuration OR Resubmit', TRUE
UNION ALL SELECT FALSE, 'ERROR', 'ERROR', 'updated_ts - created_ts',
                 'Resubmit OR Skip after Manual Operation on Moody''s', TRUE
UNION ALL
SELECT TRUE, s, 'SKIPPED', 'updated_ts - created_ts',
       'Recon Batch OR Check for Manually Completed Job on Moody''s', TRUE
FROM unnest(ARRAY['INITIATED', 'SUBMITTED', 'QUEUED', 'PENDING', 'RUNNING', 'FINISHED', 'FAILED',
                  'CANCEL_REQUESTED', 'CANCELLING', 'CANCELLED', 'ERROR']) AS s;

CREATE VIEW v_irp_job AS
SELECT r.report_status,
       r.next_best_action,
       r.is_terminal,
       round((extract(epoch FROM CASE r.age_calculation
           WHEN 'now(UTC) - created_ts' THEN now() - j.created_ts
           WHEN 'now(UTC) - submitted_ts' THEN now() - j.submitted_ts
           WHEN 'completed_ts - submitted_ts' THEN j.completed_ts - j.submitted_ts
           WHEN 'updated_ts - created_ts' THEN j.updated_ts - j.created_ts
       END) / 3600.0)::numeric, 2) AS age_hours,
       (j.status = 'FINISHED' AND NOT j.skipped) AS is_successful,
       (j.status IN ('FAILED', 'CANCELLED', 'ERROR') AND NOT j.skipped) AS needs_attention,
       j.*,
       c.configuration_id,
       c.overridden,
       c.override_reason_txt,
       c.parent_job_configuration_id
FROM irp_job j
JOIN irp_job_configuration c ON c.id = j.job_configuration_id
LEFT JOIN irp_job_status_rule r ON r.skipped = j.skipped AND r.status = j.status::text;

CREATE VIEW v_irp_job_configuration AS
WITH counts AS (
    SELECT c.id,
           count(j.id) FILTER (WHERE NOT j.skipped) AS total_jobs,
           count(j.id) FILTER (WHERE NOT j.skipped AND j.status = 'INITIATED') AS unsubmitted_jobs,
           count(j.id) FILTER (WHERE NOT j.skipped AND j.status = 'FAILED') AS failed_jobs,
           count(j.id) FILTER (WHERE NOT j.skipped AND j.status = 'CANCELLED') AS cancelled_jobs,
           count(j.id) FILTER (WHERE NOT j.skipped AND j.status = 'ERROR') AS error_jobs,
           count(j.id) FILTER (WHERE NOT j.skipped AND j.status = 'FINISHED') AS finished_jobs,
           count(j.id) FILTER (WHERE j.skipped AND c.override_job_configuration_id IS NULL) AS skipped_jobs,
           coalesce(bool_or(NOT j.skipped AND j.status = 'FINISHED'), FALSE) AS has_finished_job,
           bool_and(j.id IS NOT NULL OR c.skipped) AS has_jobs
    FROM irp_job_configuration c
    LEFT JOIN irp_job j ON j.job_configuration_id = c.id
    GROUP BY c.id
)
SELECT c.id AS job_configuration_id,
       c.batch_id,
       c.configuration_id,
       c.skipped AS config_skipped,
       c.overridden,
       c.parent_job_configuration_id,
       n.total_jobs, n.unsubmitted_jobs, n.failed_jobs, n.cancelled_jobs, n.error_jobs, n.finished_jobs,
       n.skipped_jobs, n.has_finished_job, n.has_jobs,
       CASE WHEN c.skipped THEN 'SKIPPED' WHEN n.has_finished_job THEN 'FULFILLED' ELSE 'UNFULFILLED' END
           AS config_report_status,
       n.failed_jobs > 0 AS has_failures,
       n.error_jobs > 0 AS has_errors,
       n.unsubmitted_jobs > 0 AS has_unsubmitted,
       CASE WHEN n.total_jobs = 0 THEN 0
            ELSE round(n.finished_jobs::numeric / n.total_jobs * 100, 2) END AS progress_percent,
       c.job_configuration_data,
       c.skipped_reason_txt,
       c.override_reason_txt,
       c.override_job_configuration_id,
       c.created_ts,
       c.updated_ts
FROM irp_job_configuration c
JOIN counts n ON n.id = c.id;

CREATE VIEW v_irp_batch AS
WITH configs AS (
    SELECT batch_id,
           count(*) AS total_configs,
           count(*) FILTER (WHERE config_report_status <> 'SKIPPED') AS non_skipped_configs,
           count(*) FILTER (WHERE config_report_status = 'FULFILLED') AS fulfilled_configs,
           count(*) FILTER (WHERE config_report_status = 'UNFULFILLED') AS unfulfilled_configs,
           count(*) FILTER (WHERE config_report_status = 'SKIPPED') AS skipped_configs
    FROM v_irp_job_configuration
    GROUP BY batch_id
), jobs AS (  -- aggregated on their own: no fan-out (BUG-1)
    SELECT j.batch_id,
           count(*) FILTER (WHERE NOT j.skipped) AS total_jobs,
           count(*) FILTER (WHERE NOT j.skipped AND j.status = 'INITIATED') AS unsubmitted_jobs,
           count(*) FILTER (WHERE NOT j.skipped AND j.status = 'FAILED') AS failed_jobs,
           count(*) FILTER (WHERE NOT j.skipped AND j.status = 'CANCELLED') AS cancelled_jobs,
           count(*) FILTER (WHERE NOT j.skipped AND j.status = 'ERROR') AS error_jobs,
           count(*) FILTER (WHERE NOT j.skipped AND j.status = 'FINISHED') AS finished_jobs,
           count(*) FILTER (WHERE j.skipped) AS skipped_jobs,
           bool_or(v.report_status = 'ERROR') AS has_error_report_status,
           bool_or(v.report_status = 'FAILED') AS has_failed_report_status,
           bool_and(coalesce(v.report_status, 'UNSUBMITTED') = 'UNSUBMITTED') AS all_jobs_unsubmitted
    FROM irp_job j
    JOIN v_irp_job v ON v.id = j.id
    GROUP BY j.batch_id
)
SELECT b.id AS batch_id,
       b.dag_id, b.run_id, b.task_group_id,
       b.configuration_id,
       b.batch_type,
       b.status AS batch_status,
       coalesce(c.total_configs, 0) AS total_configs,
       coalesce(c.non_skipped_configs, 0) AS non_skipped_configs,
       coalesce(c.fulfilled_configs, 0) AS fulfilled_configs,
       coalesce(c.unfulfilled_configs, 0) AS unfulfilled_configs,
       coalesce(c.skipped_configs, 0) AS skipped_configs,
       coalesce(j.total_jobs, 0) AS total_jobs,
       coalesce(j.unsubmitted_jobs, 0) AS unsubmitted_jobs,
       coalesce(j.failed_jobs, 0) AS failed_jobs,
       coalesce(j.cancelled_jobs, 0) AS cancelled_jobs,
       coalesce(j.error_jobs, 0) AS error_jobs,
       coalesce(j.finished_jobs, 0) AS finished_jobs,
       coalesce(j.skipped_jobs, 0) AS skipped_jobs,
       coalesce(j.failed_jobs, 0) > 0 AS has_any_failures,
       coalesce(j.error_jobs, 0) > 0 AS has_any_errors,
       coalesce(j.all_jobs_unsubmitted, TRUE) AS all_jobs_unsubmitted,
       coalesce(j.has_error_report_status, FALSE) AS has_error_report_status,
       coalesce(j.has_failed_report_status, FALSE) AS has_failed_report_status,
       CASE
           WHEN coalesce(j.total_jobs, 0) = 0 THEN
               CASE b.status WHEN 'COMPLETED' THEN 'COMPLETED' WHEN 'INITIATED' THEN 'UNSUBMITTED'
                             WHEN 'ACTIVE' THEN 'IN-PROGRESS' ELSE b.status::text END
           WHEN coalesce(c.non_skipped_configs, 0) = 0 THEN 'SKIPPED'
           WHEN c.fulfilled_configs = c.non_skipped_configs THEN 'COMPLETED'
           WHEN coalesce(j.all_jobs_unsubmitted, TRUE) THEN 'UNSUBMITTED'
           WHEN j.has_error_report_status THEN 'ERROR'
           WHEN j.has_failed_report_status THEN 'FAILED'
           ELSE 'IN-PROGRESS'
       END AS reporting_status,
       CASE WHEN coalesce(c.non_skipped_configs, 0) = 0 THEN 0
            ELSE round(c.fulfilled_configs::numeric / c.non_skipped_configs * 100, 2) END AS completion_percent,
       round((extract(epoch FROM CASE
           WHEN b.status = 'INITIATED' THEN now() - b.created_ts
           WHEN b.status = 'ACTIVE' THEN now() - b.submitted_ts
           ELSE b.completed_ts - b.submitted_ts
       END) / 3600.0)::numeric, 2) AS age_hours,
       CASE
           WHEN b.status = 'INITIATED' THEN 'Submit Batch'
           WHEN b.status = 'ACTIVE' AND coalesce(c.unfulfilled_configs, 0) > 0 THEN 'Track Jobs'
           WHEN b.status = 'ACTIVE' THEN 'Recon Batch'
           WHEN b.status IN ('FAILED', 'ERROR') THEN 'Review Failed Jobs'
           WHEN b.status = 'COMPLETED' THEN 'Proceed to Next Step'
           ELSE 'No Action Required'
       END AS recommended_action,
       b.created_ts, b.submitted_ts, b.completed_ts, b.updated_ts
FROM irp_batch b
LEFT JOIN configs c ON c.batch_id = b.id
LEFT JOIN jobs j ON j.batch_id = b.id;
