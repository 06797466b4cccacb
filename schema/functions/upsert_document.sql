-- Adds or replaces a knowledge document; returns (id, changed). The same id with the same
-- title and text changes nothing; a changed one gets a new revision and is queued for every
-- space (its chunks are replaced when the workers get to it; until then search uses the old).
-- Over-long arguments fail with SQLSTATE 22023 naming the argument, before anything is written
-- (Stages' `InputLimits`: id, source and title 1 KiB, text 16 MiB, language a tag of 35 bytes).
CREATE OR REPLACE FUNCTION coachspool.upsert_document(
    p_external_id text, p_title text, p_body text, p_source text DEFAULT NULL, p_language text DEFAULT NULL,
    p_origin text DEFAULT 'sql', OUT id bigint, OUT changed boolean
) LANGUAGE plpgsql AS $$
DECLARE
    v_hash bytea;
    v_id bigint;
BEGIN
    PERFORM coachspool.check_text_limit('p_external_id', p_external_id, 1024);
    PERFORM coachspool.check_text_limit('p_title', p_title, 1024);
    PERFORM coachspool.check_text_limit('p_body', p_body, 16777216);
    PERFORM coachspool.check_text_limit('p_source', p_source, 1024);
    PERFORM coachspool.check_text_limit('p_language', p_language, 35, p_language_tag => true);
    v_hash := sha256(convert_to(p_title || chr(31) || p_body, 'UTF8'));
    INSERT INTO coachspool.documents AS d (external_id, title, body, source, language, content_hash, origin)
    VALUES (p_external_id, p_title, p_body, p_source, p_language, v_hash, p_origin)
    ON CONFLICT (external_id) DO UPDATE
       SET title = excluded.title, body = excluded.body, source = excluded.source, language = excluded.language,
           content_hash = excluded.content_hash, origin = excluded.origin, revision = d.revision + 1, updated_at = now()
     WHERE d.content_hash <> excluded.content_hash
        OR d.source IS DISTINCT FROM excluded.source OR d.language IS DISTINCT FROM excluded.language
    RETURNING d.id INTO v_id;
    IF v_id IS NULL THEN
        SELECT d.id INTO v_id FROM coachspool.documents d WHERE d.external_id = p_external_id;
        id := v_id;
        changed := false;
        RETURN;
    END IF;
    PERFORM coachspool.enqueue('embed:' || s.id, v_id) FROM coachspool.embedding_spaces s;
    PERFORM coachspool.wake_workers();
    id := v_id;
    changed := true;
END
$$;
