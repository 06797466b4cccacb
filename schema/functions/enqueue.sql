-- Queues `kind` work for a source row. If that work is running right now, it is re-run after
-- it completes, so that input that arrived meanwhile (late feedback) is not missed.
CREATE OR REPLACE FUNCTION coachspool.enqueue(p_kind text, p_source_id bigint) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO coachspool.jobs (kind, source_id) VALUES (p_kind, p_source_id)
    ON CONFLICT (kind, source_id) DO UPDATE SET rerun = true WHERE jobs.state = 'running'
$$;
