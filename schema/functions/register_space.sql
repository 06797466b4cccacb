-- Registers the space a worker is configured for and returns its id: makes it the active space
-- when there is none yet, and queues every document that lacks current chunks in it and the
-- memory of users with retrieval consent (the backfill). Safe to call from many workers at once.
-- A new space has no HNSW index yet: a worker builds it once the backfill has drained (issue 18,
-- schema/functions/space_index_plan.sql). Runs with its owner's rights (workers call it).
CREATE OR REPLACE FUNCTION coachspool.register_space(
    p_embedder text, p_model text, p_dimensions integer, p_chunk_unit text, p_chunk_size integer, p_chunk_overlap integer
) RETURNS integer LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    v_id integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('coachspool.register_space'));
    SELECT id INTO v_id FROM coachspool.embedding_spaces
     WHERE embedder = p_embedder AND model = p_model AND dimensions = p_dimensions
       AND chunk_unit = p_chunk_unit AND chunk_size = p_chunk_size AND chunk_overlap = p_chunk_overlap;
    IF v_id IS NULL THEN
        INSERT INTO coachspool.embedding_spaces (embedder, model, dimensions, chunk_unit, chunk_size, chunk_overlap, is_active, activated_at, index_state)
        SELECT p_embedder, p_model, p_dimensions, p_chunk_unit, p_chunk_size, p_chunk_overlap, x.first, CASE WHEN x.first THEN now() END, 'deferred'
          FROM (SELECT NOT EXISTS (SELECT 1 FROM coachspool.embedding_spaces WHERE is_active) AS first) x
        RETURNING id INTO v_id;
    END IF;
    INSERT INTO coachspool.jobs (kind, source_id)
    SELECT 'embed:' || v_id, d.id FROM coachspool.documents d
     WHERE NOT EXISTS (SELECT 1 FROM coachspool.chunks c
                        WHERE c.space_id = v_id AND c.document_id = d.id AND c.content_hash = d.content_hash)
    ON CONFLICT (kind, source_id) DO NOTHING;
    -- The conversation memory of users with retrieval consent, like the documents.
    INSERT INTO coachspool.jobs (kind, source_id)
    SELECT 'memory:' || v_id, i.id FROM coachspool.interactions i
      JOIN coachspool.consents k ON k.user_id = i.user_id AND k.purpose = 'retrieval' AND k.granted
     WHERE NOT EXISTS (SELECT 1 FROM coachspool.memories m WHERE m.space_id = v_id AND m.interaction_id = i.id)
    ON CONFLICT (kind, source_id) DO NOTHING;
    PERFORM coachspool.wake_workers();
    RETURN v_id;
END
$$;

-- Its dynamic SQL names pgvector's type and operator class: the fixed search path includes
-- the schema pgvector was installed in, known only here.
DO $$
BEGIN
    EXECUTE format(
        'ALTER FUNCTION coachspool.register_space(text, text, integer, text, integer, integer) '
        'SET search_path = pg_catalog, %I, pg_temp',
        (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'));
END
$$;
