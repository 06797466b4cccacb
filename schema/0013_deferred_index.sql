-- Issue 18: a space's HNSW index is built over its vectors once its first backlog has drained
-- (CREATE INDEX CONCURRENTLY by one worker, under an advisory lock), instead of inserting every
-- vector of a large first backfill into the graph one at a time. Search is exact (a sequential
-- scan of the space) until the index is ready. Spaces that exist already keep their index.
--
--   deferred  no index yet: the first vectors are going in, or a large backlog arrived while the
--             space had few vectors (its small index was dropped: see space_index_plan)
--   ready     the index exists and is valid; new vectors are inserted into it
ALTER TABLE coachspool.embedding_spaces
    ADD COLUMN index_state text NOT NULL DEFAULT 'ready' CHECK (index_state IN ('deferred', 'ready')),
    ADD COLUMN index_built_at timestamptz,
    ADD COLUMN index_build_seconds double precision;

-- One row per space, for workers and admins: the index's state, the documents waiting to be
-- embedded in the space (jobs not dead), the vectors in it, and whether the index exists and is
-- valid (an invalid one is the leftover of a builder that died).
CREATE VIEW coachspool.space_indexes AS
SELECT s.id AS space_id,
       s.index_state,
       (SELECT count(*) FROM coachspool.jobs j WHERE j.kind = 'embed:' || s.id AND j.state <> 'dead') AS pending_documents,
       (SELECT count(*) FROM coachspool.chunks c WHERE c.space_id = s.id) AS vectors,
       'chunks_hnsw_space_' || s.id AS index_name,
       i.indisvalid AS index_valid,
       s.index_built_at,
       s.index_build_seconds
  FROM coachspool.embedding_spaces s
  LEFT JOIN pg_index i ON i.indexrelid = to_regclass('coachspool.chunks_hnsw_space_' || s.id);
