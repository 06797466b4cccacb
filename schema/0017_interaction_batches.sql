-- Issue 28: one job per hundred ingested interactions instead of one per interaction.
--
-- The profile of a 1 M backfill (docs/benchmarks.md) put most of the database's time in job
-- rows: one inserted per line at ingest, then claimed and deleted by a worker. `ingest` now
-- queues an `interaction_batch` job per `interaction_batches` row, which names up to
-- `InteractionBatch.maximumSize` (100) interactions of one ingest transaction; the interaction
-- stage processes them as it processes single `interaction` jobs (which log_interaction,
-- log_feedback and a failed member of a batch still queue). The row is deleted with its job.
-- Jobs queued before this migration are processed as they were: nothing is redone.
CREATE TABLE coachspool.interaction_batches (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    interaction_ids bigint[] NOT NULL CHECK (cardinality(interaction_ids) BETWEEN 1 AND 1000)
);

-- The stage graph grows by `interaction_batch` (Sources/Spool/StageGraph.swift).
ALTER TABLE coachspool.jobs DROP CONSTRAINT jobs_kind_declared;
ALTER TABLE coachspool.jobs ADD CONSTRAINT jobs_kind_declared
    CHECK (kind IN ('interaction', 'interaction_batch', 'conversation', 'noop') OR kind ~ '^(embed|memory):[1-9][0-9]{0,9}$') NOT VALID;
ALTER TABLE coachspool.jobs VALIDATE CONSTRAINT jobs_kind_declared;

-- Privileges: 0007's defaults (workers, who also run ingest, read and write; admins read).

-- The interaction stage rebuilds the examples of the conversations it touches in its own
-- completion (locking their rows in id order) instead of queueing a `conversation` job for each:
-- 500,000 fewer jobs in a 1 M backfill. `touched_at` was kept current by that queueing (an
-- update per conversation per batch) and read by nothing: it goes.
ALTER TABLE coachspool.conversations DROP COLUMN touched_at;

-- A claim looks for ready jobs in two branches (JobQueue.claim): single jobs, and jobs of many
-- items. One index each, so that neither walks past the other's rows: with 10,000 batch jobs
-- waiting, a claim of single jobs through one index skipped all of them, every time.
DROP INDEX coachspool.jobs_ready;
CREATE INDEX jobs_ready ON coachspool.jobs (run_at, id) WHERE state = 'ready' AND kind <> 'interaction_batch';
CREATE INDEX jobs_ready_batches ON coachspool.jobs (run_at, id) WHERE state = 'ready' AND kind = 'interaction_batch';
