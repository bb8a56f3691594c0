-- Cheaper batch creation, same or stronger integrity (issue 10). Postgres checks a foreign key row
-- by row; at 10,000 jobs the checks were half of create_batch's time.
--
-- A job configuration referenced its batch and its configuration separately, and a job its batch
-- and its job configuration: four checks per job. One composite key each now does the work of two,
-- and says more: a job configuration belongs to its batch's configuration, and a job to its job
-- configuration's batch (neither was enforced). The configuration and the batch remain enforced
-- through the referenced row, whose own foreign key cannot be broken while it is referenced.
-- Jobs no longer cascade from a deleted batch: a batch's job configurations never did, so a batch
-- could not be deleted before its jobs and configurations anyway (delete_batch deletes all three).
ALTER TABLE irp_batch ADD CONSTRAINT uq_batch_configuration_id UNIQUE (configuration_id, id);
DROP INDEX idx_batch_configuration;

ALTER TABLE irp_job_configuration
    DROP CONSTRAINT irp_job_configuration_batch_id_fkey,
    DROP CONSTRAINT irp_job_configuration_configuration_id_fkey,
    ADD CONSTRAINT fk_job_configuration_batch FOREIGN KEY (configuration_id, batch_id)
        REFERENCES irp_batch (configuration_id, id),
    ADD CONSTRAINT uq_job_configuration_batch_id UNIQUE (batch_id, id);
DROP INDEX idx_job_configuration_batch;

ALTER TABLE irp_job
    DROP CONSTRAINT irp_job_batch_id_fkey,
    DROP CONSTRAINT irp_job_job_configuration_id_fkey,
    ADD CONSTRAINT fk_job_job_configuration FOREIGN KEY (batch_id, job_configuration_id)
        REFERENCES irp_job_configuration (batch_id, id);
-- The key's own index: deleting a batch's job configurations checks each against it (by the batch
-- alone, the check would walk the batch's 10,000 just-deleted jobs per configuration).
DROP INDEX idx_job_configuration;
CREATE INDEX idx_job_configuration ON irp_job (job_configuration_id, batch_id);

-- The resubmission and override links are set on a few rows only: index those, not 10,000 NULLs per
-- batch. Every lookup is by equality, which the planner knows implies IS NOT NULL.
DROP INDEX idx_job_configuration_parent;
CREATE INDEX idx_job_configuration_parent ON irp_job_configuration (parent_job_configuration_id)
    WHERE parent_job_configuration_id IS NOT NULL;
DROP INDEX idx_job_configuration_override;
CREATE INDEX idx_job_configuration_override ON irp_job_configuration (override_job_configuration_id)
    WHERE override_job_configuration_id IS NOT NULL;
DROP INDEX idx_job_parent;
CREATE INDEX idx_job_parent ON irp_job (parent_job_id) WHERE parent_job_id IS NOT NULL;
