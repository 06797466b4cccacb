-- Issue 30: the console's Overview shows running jobs per stage at 10 M jobs without reading the
-- table. Running jobs have no index (every claim would write one: docs/benchmarks.md, "no lease
-- index"), but each worker knows what it holds: its heartbeat (every lease/3) writes the count
-- per kind here, e.g. {"interaction_batch": 2}. The live workers' sum is the running figure, as
-- of their last heartbeats; a worker gone stops counting when it stops being live, which is
-- also when the reaper may take its jobs back. queue_status_by_kind still counts the table.
ALTER TABLE coachspool.workers ADD COLUMN held jsonb NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(held) = 'object');

-- The running jobs per kind by the live workers' heartbeats (live as in live_workers).
CREATE VIEW coachspool.running_by_heartbeat AS
SELECT h.key AS kind, sum(h.value::bigint)::bigint AS running, max(now() - w.last_heartbeat) AS oldest_heartbeat
  FROM coachspool.workers w, jsonb_each_text(w.held) h
 WHERE w.stopped_at IS NULL AND w.last_heartbeat > now() - make_interval(secs => w.lease_seconds)
 GROUP BY h.key;

-- Privileges: workers and admins read it like the other admin views (0007's defaults).

-- The Jobs page lists dead jobs of every stage newest first: 0019's (kind, id) serves one stage;
-- without a stage the planner would walk the primary key backwards past every ready job when the
-- dead ones are old. Dead jobs only, so claims and completions never write it.
CREATE INDEX jobs_dead_newest ON coachspool.jobs (id) WHERE state = 'dead';
