-- Issue 17: full-text search beside the vectors. Every chunk gets a tsvector built with its
-- document's language (schema/functions/text_config.sql); the trigger that computes it, and the
-- one-time indexing of chunks stored before this migration, are in
-- schema/functions/text_index_chunks.sql (applied after the migrations): nothing is embedded again.
ALTER TABLE coachspool.chunks ADD COLUMN tsv tsvector;
CREATE INDEX chunks_tsv ON coachspool.chunks USING gin (tsv);
