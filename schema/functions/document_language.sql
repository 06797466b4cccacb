-- A knowledge document's language for full-text indexing and the language filter: the one its
-- producer gave, else the one the embed worker detected in its text (schema/0016), else NULL
-- (`text_config` makes that 'simple').
CREATE OR REPLACE FUNCTION coachspool.document_language(p_language text, p_detected_language text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(p_language, p_detected_language)
$$;
