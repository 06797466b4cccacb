-- The conversation memory of one user: their earlier exchanges (redacted) nearest to a query
-- vector in a space (the active one by default). Only users with retrieval consent have any.
-- Runs with its owner's rights so that the producer role (the coach app) may call it without
-- reading any table (schema/privileges/grants.sql grants it). Bad arguments fail with SQLSTATE
-- 22023 naming the argument (p_user_id: at most 256 bytes, Stages' `InputLimits.identifier`).
--   SELECT * FROM coachspool.recall('user-1', '[0.01, …]'::vector, 3);
CREATE OR REPLACE FUNCTION coachspool.recall(p_user_id text, p_query vector, p_k integer DEFAULT 3, p_space integer DEFAULT NULL)
RETURNS TABLE (interaction_id bigint, occurred_at timestamptz, body text, rating smallint, score double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
DECLARE
    v_space record;
BEGIN
    PERFORM coachspool.check_text_limit('p_user_id', p_user_id, 256);
    IF p_user_id IS NULL OR btrim(p_user_id) = '' THEN
        RAISE EXCEPTION 'p_user_id: expected a non-empty string' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_k IS NULL OR p_k NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'p_k: expected an integer from 1 to 100' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_space := coachspool.resolve_space(p_space);
    RETURN QUERY
    SELECT m.interaction_id, m.occurred_at, m.body, m.rating, 1 - (m.embedding <=> p_query)
      FROM coachspool.memories m
     WHERE m.space_id = v_space.id AND m.user_id = p_user_id
     ORDER BY m.embedding <=> p_query, m.interaction_id
     LIMIT p_k;
END
$$;

-- The fixed search path names the schema pgvector was installed in (its `<=>` operator).
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION coachspool.recall(text, vector, integer, integer) SET search_path = pg_catalog, %I, pg_temp',
                   (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'));
END
$$;
