-- The statement that creates a space's index, with pgvector's type and operator class named by
-- their schema (the caller's search path may not include it).
CREATE OR REPLACE FUNCTION coachspool.space_index_ddl(p_space integer, p_concurrently boolean)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format(
        'CREATE INDEX %s %I ON coachspool.chunks USING hnsw ((embedding::%I.vector(%s)) %I.vector_cosine_ops) WHERE space_id = %s',
        CASE WHEN p_concurrently THEN 'CONCURRENTLY' ELSE '' END,
        'chunks_hnsw_space_' || s.id, e.extnamespace::regnamespace::text, s.dimensions,
        e.extnamespace::regnamespace::text, s.id)
      FROM coachspool.embedding_spaces s, pg_extension e
     WHERE s.id = p_space AND e.extname = 'vector'
$$;
