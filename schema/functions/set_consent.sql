-- Producer and admin API: grants or revokes one purpose for one user; returns whether anything
-- changed. Bad arguments fail with SQLSTATE 22023 naming the argument (p_user_id and p_source:
-- at most 256 bytes, Stages' `InputLimits.identifier`).
-- Runs with its owner's rights (the producer role may only call it), on a fixed search path.
CREATE OR REPLACE FUNCTION coachspool.set_consent(p_user_id text, p_purpose text, p_granted boolean, p_source text DEFAULT 'app')
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_changed boolean;
BEGIN
    PERFORM coachspool.check_text_limit('p_user_id', p_user_id, 256);
    PERFORM coachspool.check_text_limit('p_source', p_source, 256);
    IF p_user_id IS NULL OR btrim(p_user_id) = '' THEN
        RAISE EXCEPTION 'p_user_id: expected a non-empty string' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_purpose IS NULL OR p_purpose NOT IN ('training', 'retrieval') THEN
        RAISE EXCEPTION 'p_purpose: expected ''training'' or ''retrieval''' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_granted IS NULL THEN
        RAISE EXCEPTION 'p_granted: expected true or false' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_source IS NULL OR btrim(p_source) = '' THEN
        RAISE EXCEPTION 'p_source: expected a non-empty string' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO coachspool.consents AS c (user_id, purpose, granted, source)
    VALUES (p_user_id, p_purpose, p_granted, p_source)
    ON CONFLICT (user_id, purpose) DO UPDATE
       SET granted = excluded.granted, source = excluded.source, updated_at = now()
     WHERE c.granted <> excluded.granted
    RETURNING true INTO v_changed;
    RETURN coalesce(v_changed, false);
END
$$;
