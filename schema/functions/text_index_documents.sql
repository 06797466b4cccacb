-- A document whose language changed (same text) keeps its chunks and vectors, but their
-- full-text index is rebuilt with the new language's configuration: a given language changed, or
-- the embed worker detected one for a document without (document_language.sql). The comparison
-- is in the body, not in the trigger's WHEN or column list, which PostgreSQL checks when the
-- trigger is made: this file then also applies to a database whose migrations are older.
CREATE OR REPLACE FUNCTION coachspool.text_index_documents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coachspool.document_language(OLD.language, OLD.detected_language)
       IS DISTINCT FROM coachspool.document_language(NEW.language, NEW.detected_language) THEN
        UPDATE coachspool.chunks
           SET tsv = to_tsvector(coachspool.text_config(coachspool.document_language(NEW.language, NEW.detected_language)), body)
         WHERE document_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER documents_text_index AFTER UPDATE ON coachspool.documents
    FOR EACH ROW EXECUTE FUNCTION coachspool.text_index_documents();
