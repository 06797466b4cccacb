-- Producer API: logs one exchange and returns its id. Idempotent: the same key (p_id, or the
-- hash of session, time and texts) returns the existing id and changes nothing.
-- Bad arguments fail with SQLSTATE 22023 (invalid_parameter_value) and a message naming the
-- argument and what was expected, never its value; the limits are Stages' `InputLimits`
-- (identifiers 256 bytes, messages 256 KiB, language 35 bytes), checked before anything is written.
-- Runs with its owner's rights (the producer role may only call it), on a fixed search path.
CREATE OR REPLACE FUNCTION coachspool.log_interaction(
    p_user_input   text,
    p_ai_response  text,
    p_mode         text DEFAULT 'personal',
    p_session_id   text DEFAULT NULL,
    p_turn_index   integer DEFAULT NULL,
    p_user_id      text DEFAULT NULL,
    p_language     text DEFAULT NULL,
    p_occurred_at  timestamptz DEFAULT now(),
    p_rating       integer DEFAULT NULL,
    p_helpful      boolean DEFAULT NULL,
    p_id           text DEFAULT NULL
) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_key text;
    v_id bigint;
BEGIN
    PERFORM coachspool.check_text_limit('p_user_input', p_user_input, 262144);
    PERFORM coachspool.check_text_limit('p_ai_response', p_ai_response, 262144);
    PERFORM coachspool.check_text_limit('p_session_id', p_session_id, 256);
    PERFORM coachspool.check_text_limit('p_user_id', p_user_id, 256);
    PERFORM coachspool.check_text_limit('p_id', p_id, 256);
    PERFORM coachspool.check_text_limit('p_language', p_language, 35, p_language_tag => true);
    IF p_user_input IS NULL OR p_user_input = '' THEN
        RAISE EXCEPTION 'p_user_input: expected a non-empty string' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_ai_response IS NULL OR p_ai_response = '' THEN
        RAISE EXCEPTION 'p_ai_response: expected a non-empty string' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_mode IS NULL OR p_mode NOT IN ('personal', 'university') THEN
        RAISE EXCEPTION 'p_mode: expected ''personal'' or ''university''' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_turn_index NOT BETWEEN 0 AND 1000000 THEN
        RAISE EXCEPTION 'p_turn_index: expected NULL or an integer from 0 to 1000000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_occurred_at IS NULL OR NOT isfinite(p_occurred_at) THEN
        RAISE EXCEPTION 'p_occurred_at: expected a finite timestamp' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_rating NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'p_rating: expected NULL or an integer from 1 to 5' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_id = '' THEN
        RAISE EXCEPTION 'p_id: expected NULL or a non-empty string' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_key := CASE WHEN p_id IS NOT NULL THEN 'id:' || p_id
                  ELSE coachspool.interaction_key(p_session_id, p_occurred_at, p_user_input, p_ai_response) END;
    INSERT INTO coachspool.interactions
        (idempotency_key, session_id, turn_index, mode, language, user_id, occurred_at, user_input, ai_response,
         rating, helpful)  -- the feedback given with the exchange (0021)
    VALUES (v_key, p_session_id, p_turn_index, p_mode, p_language, p_user_id, p_occurred_at, p_user_input, p_ai_response,
            p_rating, p_helpful)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        SELECT id INTO v_id FROM coachspool.interactions WHERE idempotency_key = v_key;
        RETURN v_id;
    END IF;
    PERFORM coachspool.enqueue('interaction', v_id);
    PERFORM coachspool.wake_workers();
    RETURN v_id;
END
$$;
