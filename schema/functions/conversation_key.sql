-- 's:<session id>' or 'k:<idempotency key>': stable across databases and re-ingests, so that
-- exports (ordered and split by key) are the same wherever the same input was processed.
CREATE OR REPLACE FUNCTION coachspool.conversation_key(p_session_id text, p_idempotency_key text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_session_id IS NOT NULL THEN 's:' || p_session_id ELSE 'k:' || p_idempotency_key END
$$;
