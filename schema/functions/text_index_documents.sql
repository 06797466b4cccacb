-- A document whose language changed (same text) keeps its chunks and vectors, but their
-- full-text index is rebuilt with the new language's configuration.
CREATE OR REPLACE FUNCTION coachspool.text_index_documents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE coachspool.chunks SET tsv = to_tsvector(coachspool.text_config(NEW.language), body)
     WHERE document_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER documents_text_index AFTER UPDATE OF language ON coachspool.documents
    FOR EACH ROW WHEN (OLD.language IS DISTINCT FROM NEW.language) EXECUTE FUNCTION coachspool.text_index_documents();
