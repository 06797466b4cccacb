-- Issue 30: the console stays usable at 10 M jobs (scripts/bench-console.sh).
--
-- Dead jobs are what an operator opens the Jobs page for (their error, retry, discard), and the
-- Overview counts them per stage. A partial index holds only them: a job enters it once, when it
-- dies (rare by design), and leaves when it is retried or discarded, so claims and completions
-- never touch it. With it the Overview counts dead jobs exactly (up to its cap) from the index
-- alone and the Jobs page lists them newest first without reading the ready ones. Running jobs
-- get no index on purpose: every claim would write one (docs/benchmarks.md, "no lease index").
CREATE INDEX jobs_dead ON coachspool.jobs (kind, id) WHERE state = 'dead';

-- Above ConsoleData.exactCountLimit jobs the Overview shows the planner's estimates for the
-- large figures (ready, waiting for a retry) instead of counting millions of rows; the stages'
-- states are correlated (a failing stage holds most retries), which the planner only sees with
-- statistics on both columns together. Filled by the next ANALYZE (autovacuum's included).
CREATE STATISTICS coachspool.jobs_kind_state (mcv) ON kind, state FROM coachspool.jobs;
