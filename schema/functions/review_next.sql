-- Hands a reviewer the next item of coachspool.review_queue (newest received first, by id;
-- optionally of one mode and language) and holds it for coachspool.review_settings.lease_seconds
-- (900 without a row), as the spool holds a job: candidates are locked with SKIP LOCKED, so that
-- two reviewers asking at once never get the same item, and a lease another reviewer holds is
-- skipped until it expires. The item the reviewer already holds comes back first, its lease
-- renewed. No row: nothing waits.
-- Runs with its owner's rights (reviewers may call it and read the queue, nothing else).
CREATE OR REPLACE FUNCTION coachspool.review_next(p_reviewer text, p_mode text DEFAULT NULL, p_language text DEFAULT NULL)
RETURNS TABLE (
    interaction_id bigint, mode text, language text, occurred_at timestamptz, user_input text, ai_response text,
    rating smallint, helpful boolean, why text, reasons text[], context jsonb, leased_until timestamptz
) LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_id bigint;
    v_lease integer;
    v_held boolean := false;
BEGIN
    IF p_reviewer IS NULL OR p_reviewer !~ '^[A-Za-z0-9:._-]{1,64}$' THEN
        RAISE EXCEPTION 'p_reviewer: expected 1 to 64 letters, digits or :._- (a pseudonymous id, never a name)'
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM coachspool.check_text_limit('p_mode', p_mode, 64);
    PERFORM coachspool.check_text_limit('p_language', p_language, 35, true);
    v_lease := coalesce((SELECT s.lease_seconds FROM coachspool.review_settings s), 900);
    -- The item the reviewer already holds comes back first (a reload shows the same item), its
    -- lease renewed while it is still theirs and still waits in the filter's queue (an expired
    -- lease may be another reviewer's now; a decided item has no lease). The leases first, then
    -- the queue by id: a join would make the planner compute the view. The renewal locks the
    -- lease row, so a decision (which deletes it) cannot come between it and the answer.
    FOR v_id IN
        SELECT l.interaction_id FROM coachspool.review_leases l
         WHERE l.reviewer = p_reviewer AND l.expires_at > now() ORDER BY l.interaction_id DESC
    LOOP
        UPDATE coachspool.review_leases l SET expires_at = now() + v_lease * interval '1 second'
         WHERE l.interaction_id = v_id AND l.reviewer = p_reviewer AND l.expires_at > now()
           AND EXISTS (SELECT 1 FROM coachspool.review_queue q WHERE q.interaction_id = v_id
                          AND (p_mode IS NULL OR q.mode = p_mode) AND (p_language IS NULL OR q.language = p_language));
        v_held := FOUND;
        EXIT WHEN v_held;
    END LOOP;
    -- Otherwise newest received first (the interaction id): a backward walk of the primary key
    -- that stops at the first free candidate, never a sort of every interaction (occurred_at has
    -- no index, so that ingest pays for none).
    IF NOT v_held THEN
        FOR v_id IN
            SELECT q.interaction_id FROM coachspool.review_queue q
             WHERE (p_mode IS NULL OR q.mode = p_mode) AND (p_language IS NULL OR q.language = p_language)
               AND NOT EXISTS (SELECT 1 FROM coachspool.review_leases l
                                WHERE l.interaction_id = q.interaction_id AND l.expires_at > now())
             ORDER BY q.interaction_id DESC
             LIMIT 100
        LOOP
            -- The lock decides between reviewers asking at once; the lease row, between those after.
            PERFORM 1 FROM coachspool.interactions i WHERE i.id = v_id FOR NO KEY UPDATE SKIP LOCKED;
            CONTINUE WHEN NOT FOUND;
            INSERT INTO coachspool.review_leases AS l (interaction_id, reviewer, expires_at)
            VALUES (v_id, p_reviewer, now() + v_lease * interval '1 second')
            ON CONFLICT ON CONSTRAINT review_leases_pkey DO UPDATE
               SET reviewer = excluded.reviewer, expires_at = excluded.expires_at
             WHERE l.expires_at <= now() OR l.reviewer = excluded.reviewer;
            v_held := FOUND;
            EXIT WHEN v_held;
        END LOOP;
    END IF;
    IF v_held THEN
        RETURN QUERY SELECT q.interaction_id, q.mode, q.language, q.occurred_at, q.user_input, q.ai_response, q.rating,
                            q.helpful, q.why, q.reasons, q.context, q.leased_until
                       FROM coachspool.review_queue q WHERE q.interaction_id = v_id;
    END IF;
END
$$;
