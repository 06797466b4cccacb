-- Issue 16: the stage graph as a constraint, the coach's greeting kept, workers' liveness by lease.
-- (Functions live in schema/functions/, one current definition each, re-applied by `migrate`.)

-- The job kinds of Sources/Spool/StageGraph.swift, and nothing else: a typo in a trigger or a
-- producer cannot queue work no worker will ever claim. Checked against the declaration by the
-- test suite (StageGraphTests).
ALTER TABLE coachspool.jobs ADD CONSTRAINT jobs_kind_declared
    CHECK (kind IN ('interaction', 'conversation', 'noop') OR kind ~ '^embed:[1-9][0-9]{0,9}$') NOT VALID;
ALTER TABLE coachspool.jobs VALIDATE CONSTRAINT jobs_kind_declared;

-- What the coach said before the user's first message (a greeting), on the interactions of a
-- session's first turn: context of that exchange in the examples, never trained on. Redacted
-- into interaction_texts like the other texts.
ALTER TABLE coachspool.interactions ADD COLUMN opening text;
ALTER TABLE coachspool.interaction_texts ADD COLUMN opening text;

-- A worker is live while its heartbeat is younger than its lease: older, it may have been killed
-- (SIGKILL leaves stopped_at empty) and its jobs are reaped. The lease is the worker's own setting.
ALTER TABLE coachspool.workers ADD COLUMN lease_seconds double precision NOT NULL DEFAULT 30;
CREATE OR REPLACE VIEW coachspool.live_workers AS
SELECT id, host, pid, concurrency, started_at, last_heartbeat, now() - last_heartbeat AS since_heartbeat
FROM coachspool.workers
WHERE stopped_at IS NULL AND last_heartbeat > now() - make_interval(secs => lease_seconds);

-- Workers that stopped, or whose heartbeat is older than their lease: `status` shows them as
-- gone, then prunes them.
CREATE VIEW coachspool.gone_workers AS
SELECT id, host, pid, concurrency, started_at, last_heartbeat, now() - last_heartbeat AS since_heartbeat, stopped_at
FROM coachspool.workers
WHERE stopped_at IS NOT NULL OR last_heartbeat <= now() - make_interval(secs => lease_seconds);
GRANT SELECT ON coachspool.gone_workers TO coachspool_admin, coachspool_worker;
GRANT DELETE ON coachspool.workers TO coachspool_admin;
