-- Asks idle workers to look for work now (they also poll). Delivered at commit.
CREATE OR REPLACE FUNCTION coachspool.wake_workers() RETURNS void LANGUAGE sql AS $$
    SELECT pg_notify('coachspool_jobs', '')
$$;
