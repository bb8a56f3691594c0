-- Idempotency keys that are unique per store, and submissions whose answer was lost (issue 9).
--
-- This store's installation id: one random UUID, created once when the store is first migrated.
-- It is the namespace of every X-RMS-RequestId (idempotency key) the store's jobs send, so that
-- job ids that start again (a new schema, a second environment on the same Moody's tenant) never
-- send the key of another store's job and receive that job's answer.
CREATE TABLE irp_installation (
    singleton       BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    installation_id UUID NOT NULL DEFAULT gen_random_uuid(),
    created_ts      TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO irp_installation DEFAULT VALUES;

-- When a submission to Moody's began whose outcome is still unknown: set before the request is
-- sent (so a worker killed mid-call leaves it behind), cleared once the answer is known (a
-- workflow id, a refusal, nothing to do). A job with it and no workflow id may have a Moody's job
-- nobody tracks: it is looked up in Moody's and re-attached before anything is sent again.
ALTER TABLE irp_job ADD COLUMN submission_attempted_ts TIMESTAMPTZ;
