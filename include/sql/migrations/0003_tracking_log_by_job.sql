-- A job's tracking log in order (its latest observation first when reading backwards): without
-- this index Postgres may walk the primary key through every other job's rows.
CREATE INDEX idx_tracking_job_id ON irp_job_tracking_log (job_id, id);
DROP INDEX idx_tracking_job;
