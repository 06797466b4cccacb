-- A reviewer's decision on an exchange (issue 30): `approve` (train on it after all), `reject`
-- (keep it out; a reason may say why), `correct` (the answer the coach should have given, which
-- the examples then train on: ExampleBuilder, "Reviews"). The latest decision counts; every one is
-- kept. Frees the item's lease, queues the rebuild of its conversation, and writes the audit row.
--
-- Bad arguments fail with SQLSTATE 22023 naming the argument, never quoting it; an unknown
-- interaction with 23503; an exchange whose user has no training consent with 55000 (nothing of
-- it may be trained on, so nothing to decide); an item another reviewer holds with 55006.
-- `p_corrected_answer` is stored as given: `serve` and the CLI redact it before they call this,
-- and the conversation stage redacts it again before it is built into examples.
-- Runs with its owner's rights (reviewers may call it and read the queue, nothing else).
CREATE OR REPLACE FUNCTION coachspool.review_decide(
    p_interaction_id bigint, p_decision text, p_reviewer text,
    p_corrected_answer text DEFAULT NULL, p_reason text DEFAULT NULL
) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_user text;
    v_conversation bigint;
    v_review bigint;
BEGIN
    IF p_interaction_id IS NULL THEN
        RAISE EXCEPTION 'p_interaction_id: expected an interaction id' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_decision IS NULL OR p_decision NOT IN ('approve', 'reject', 'correct') THEN
        RAISE EXCEPTION 'p_decision: expected approve, reject or correct' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_reviewer IS NULL OR p_reviewer !~ '^[A-Za-z0-9:._-]{1,64}$' THEN
        RAISE EXCEPTION 'p_reviewer: expected 1 to 64 letters, digits or :._- (a pseudonymous id, never a name)'
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM coachspool.check_text_limit('p_corrected_answer', p_corrected_answer, 32768);
    PERFORM coachspool.check_text_limit('p_reason', p_reason, 1000);
    IF p_decision = 'correct' AND (p_corrected_answer IS NULL OR p_corrected_answer !~ '[^[:space:]]') THEN
        RAISE EXCEPTION 'p_corrected_answer: expected the corrected answer (a decision correct needs one)'
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_decision <> 'correct' AND p_corrected_answer IS NOT NULL THEN
        RAISE EXCEPTION 'p_corrected_answer: only a decision correct takes one' USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- The interaction, locked against a concurrent erasure (which deletes it and its reviews).
    SELECT i.user_id, c.id INTO v_user, v_conversation
      FROM coachspool.interactions i
      LEFT JOIN coachspool.conversations c ON c.key = coachspool.conversation_key(i.session_id, i.idempotency_key)
     WHERE i.id = p_interaction_id
       FOR NO KEY UPDATE OF i;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'interaction % does not exist', p_interaction_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coachspool.consents k WHERE k.user_id = v_user AND k.purpose = 'training' AND k.granted) THEN
        RAISE EXCEPTION 'interaction % cannot be reviewed: its user has not consented to training', p_interaction_id
              USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF EXISTS (SELECT 1 FROM coachspool.review_leases l
                WHERE l.interaction_id = p_interaction_id AND l.reviewer <> p_reviewer AND l.expires_at > now()) THEN
        RAISE EXCEPTION 'interaction % is held by another reviewer', p_interaction_id USING ERRCODE = 'object_in_use';
    END IF;

    INSERT INTO coachspool.reviews (interaction_id, decision, corrected_answer, reason, reviewer)
    VALUES (p_interaction_id, p_decision, p_corrected_answer, nullif(btrim(p_reason), ''), p_reviewer)
    RETURNING id INTO v_review;
    DELETE FROM coachspool.review_leases WHERE interaction_id = p_interaction_id;
    INSERT INTO coachspool.audit_log (actor, action, target) VALUES (p_reviewer, 'review.' || p_decision, 'interaction:' || p_interaction_id);
    IF v_conversation IS NOT NULL THEN
        PERFORM coachspool.enqueue('conversation', v_conversation);
        PERFORM coachspool.wake_workers();
    END IF;
    RETURN v_review;
END
$$;
