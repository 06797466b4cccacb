-- Producer API: records feedback on an interaction (several allowed; the latest wins) and has
-- it re-evaluated. Bad arguments fail with SQLSTATE 22023 naming the argument; an unknown
-- interaction with 23503 (foreign_key_violation).
-- Runs with its owner's rights (the producer role may only call it), on a fixed search path.
CREATE OR REPLACE FUNCTION coachspool.log_feedback(p_interaction_id bigint, p_rating integer, p_helpful boolean DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_interaction_id IS NULL THEN
        RAISE EXCEPTION 'p_interaction_id: expected an interaction id' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_rating NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'p_rating: expected NULL or an integer from 1 to 5' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_rating IS NULL AND p_helpful IS NULL THEN
        RAISE EXCEPTION 'p_rating, p_helpful: expected at least one of them' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coachspool.interactions WHERE id = p_interaction_id) THEN
        RAISE EXCEPTION 'interaction % does not exist', p_interaction_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    INSERT INTO coachspool.feedback (interaction_id, rating, helpful) VALUES (p_interaction_id, p_rating, p_helpful);
    PERFORM coachspool.enqueue('interaction', p_interaction_id);
    PERFORM coachspool.wake_workers();
END
$$;
