-- Issue 6: erasure on request. Removes a person from every table in one transaction: their
-- interactions and feedback, reviews of them (corrections included), everything derived from them (verdicts, redacted texts, memories, examples,
-- DPO pairs, KTO examples, builds), their jobs, their consent records, and the conversations
-- left without interactions (with the exports' lineage rows that name them). Conversations
-- shared with other users (a session with several user ids) are rebuilt without them.
-- Knowledge-base chunks are made from documents only, never from interactions, so no vector
-- holds a person's conversation.
--
-- Returns the rows removed per table; the caller logs those counts, never the id.
-- Runs with its owner's rights (it deletes from every table; admins only), on a fixed search path.
CREATE OR REPLACE FUNCTION coachspool.erase_user(p_user_id text)
RETURNS TABLE (table_name text, removed bigint) LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_interactions bigint[];
    v_conversations bigint[];
    v_remaining bigint[];
    v_count bigint;
    v_table text;
    v_column text;
    v_ids bigint[];
BEGIN
    IF p_user_id IS NULL OR btrim(p_user_id) = '' THEN
        RAISE EXCEPTION 'user id must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Their interactions, locked: a concurrent log_feedback waits, then finds nothing.
    v_interactions := ARRAY(SELECT id FROM coachspool.interactions WHERE user_id = p_user_id ORDER BY id FOR UPDATE);
    v_conversations := ARRAY(
        SELECT c.id FROM coachspool.conversations c
         WHERE c.key IN (SELECT coachspool.conversation_key(i.session_id, i.idempotency_key)
                           FROM coachspool.interactions i WHERE i.id = ANY(v_interactions))
         ORDER BY c.id FOR UPDATE);
    -- Locked (in id order, as every rebuild locks them): a rebuild running now commits first and
    -- its rows are deleted below, or waits and then reads the turns that are left. The derived
    -- rows have no foreign keys (schema/0022): they are deleted here by name, none by cascade.

    -- Jobs first, running or not: a worker holding one finds its lease gone at completion and
    -- writes nothing (so nothing built from the erased texts can come back).
    DELETE FROM coachspool.jobs
     WHERE (kind = 'interaction' AND source_id = ANY(v_interactions))
        OR (kind LIKE 'memory:%' AND source_id = ANY(v_interactions))
        OR (kind = 'conversation' AND source_id = ANY(v_conversations));
    GET DIAGNOSTICS v_count = ROW_COUNT; table_name := 'jobs'; removed := v_count; RETURN NEXT;

    -- Derived rows, then the sources (in this order: verdicts and texts reference interactions).
    FOR v_table, v_column, v_ids IN
        SELECT d.name, d.key, d.ids FROM (VALUES
            (0, 'memories', 'interaction_id', v_interactions),
            (1, 'examples', 'conversation_id', v_conversations),
            (2, 'preference_pairs', 'conversation_id', v_conversations),
            (3, 'feedback_examples', 'conversation_id', v_conversations),
            (4, 'conversation_builds', 'conversation_id', v_conversations),
            (5, 'quality_verdicts', 'interaction_id', v_interactions),
            (6, 'interaction_texts', 'interaction_id', v_interactions),
            (7, 'feedback', 'interaction_id', v_interactions),
            (8, 'review_leases', 'interaction_id', v_interactions),
            (9, 'reviews', 'interaction_id', v_interactions),
            (10, 'interactions', 'id', v_interactions)) AS d(step, name, key, ids)
         ORDER BY d.step
    LOOP
        EXECUTE format('DELETE FROM coachspool.%I WHERE %I = ANY($1)', v_table, v_column) USING v_ids;
        GET DIAGNOSTICS v_count = ROW_COUNT; table_name := v_table; removed := v_count; RETURN NEXT;
    END LOOP;
    DELETE FROM coachspool.consents WHERE user_id = p_user_id;
    GET DIAGNOSTICS v_count = ROW_COUNT; table_name := 'consents'; removed := v_count; RETURN NEXT;

    -- Conversations that still have interactions (of other users) are rebuilt; the others go.
    v_remaining := ARRAY(
        SELECT c.id FROM coachspool.conversations c
         WHERE c.id = ANY(v_conversations)
           AND (EXISTS (SELECT 1 FROM coachspool.interactions i WHERE i.session_id = c.session_id)
                OR EXISTS (SELECT 1 FROM coachspool.interactions i WHERE i.id = c.interaction_id)));
    -- Their exports' lineage rows too (no foreign key since schema/0023; the exports themselves
    -- were flagged by the trigger on interactions above and keep their folders' names).
    DELETE FROM coachspool.export_conversations
     WHERE conversation_id = ANY(v_conversations) AND NOT conversation_id = ANY(v_remaining);
    GET DIAGNOSTICS v_count = ROW_COUNT; table_name := 'export_conversations'; removed := v_count; RETURN NEXT;
    DELETE FROM coachspool.conversations WHERE id = ANY(v_conversations) AND NOT id = ANY(v_remaining);
    GET DIAGNOSTICS v_count = ROW_COUNT; table_name := 'conversations'; removed := v_count; RETURN NEXT;
    PERFORM coachspool.enqueue('conversation', id) FROM unnest(v_remaining) AS r(id);
    IF cardinality(v_remaining) > 0 THEN PERFORM coachspool.wake_workers(); END IF;
END
$$;
