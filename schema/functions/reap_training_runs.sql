-- A running run holds this session-level advisory lock (class 7301, the run id) for as long as
-- its `coachspool train` process lives: a run whose lock is free is no longer running.
CREATE OR REPLACE FUNCTION coachspool.reap_training_runs() RETURNS SETOF bigint LANGUAGE sql AS $$
    UPDATE coachspool.training_runs
       SET status = 'interrupted', finished_at = now(),
           error = 'the training process ended without finishing (killed, or its database connection was lost)'
     WHERE status = 'running' AND pg_try_advisory_xact_lock(7301, id::integer)
    RETURNING id
$$;
