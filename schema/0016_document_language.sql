-- Issue 27: the language of a knowledge document its producer gave none for. The embed worker
-- detects it in the text (Stages' LanguageDetector: Swedish, English, or undecided: NULL) and
-- stores it apart from the given `language`, which always wins: `coachspool.document_language`
-- is the one definition of the language full-text indexing and the language filter use.
ALTER TABLE coachspool.documents ADD COLUMN detected_language text;

-- Documents stored before this migration without a language are queued once for the active
-- space, whose worker detects their language; their chunks and vectors stay (only the full-text
-- index is redone, by the documents' trigger, when a language is found).
INSERT INTO coachspool.jobs (kind, source_id)
SELECT 'embed:' || s.id, d.id FROM coachspool.documents d JOIN coachspool.embedding_spaces s ON s.is_active
 WHERE d.language IS NULL
ON CONFLICT (kind, source_id) DO NOTHING;
