-- The full-text index of knowledge chunks (schema/0010_hybrid_search.sql): each chunk's tsvector
-- is computed with its document's language (given, else detected: document_language.sql) when
-- the chunk is written.
-- (This file sorts after text_config.sql, which its last statement needs.)
CREATE OR REPLACE FUNCTION coachspool.text_index_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.tsv := to_tsvector(
        coachspool.text_config((SELECT coachspool.document_language(d.language, d.detected_language)
                                  FROM coachspool.documents d WHERE d.id = NEW.document_id)), NEW.body);
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER chunks_text_index BEFORE INSERT OR UPDATE OF body ON coachspool.chunks
    FOR EACH ROW EXECUTE FUNCTION coachspool.text_index_chunks();

-- Chunks stored before the text index existed are indexed once, here (a no-op afterwards).
-- Their documents predate language detection (schema/0016): the given language is all they have.
UPDATE coachspool.chunks c SET tsv = to_tsvector(coachspool.text_config(d.language), c.body)
  FROM coachspool.documents d
 WHERE d.id = c.document_id AND c.tsv IS NULL;
