-- Top-k chunks by cosine similarity in a space (the active one by default), through that
-- space's HNSW index. score = 1 - cosine distance. For the coach app and admins:
--   SELECT * FROM coachspool.search('[0.01, …]'::vector, 3);
CREATE OR REPLACE FUNCTION coachspool.search(p_query vector, p_k integer DEFAULT 3, p_space integer DEFAULT NULL)
RETURNS TABLE (chunk_id bigint, document_id bigint, title text, source text, body text, score double precision)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_space integer;
    v_dimensions integer;
BEGIN
    SELECT s.id, s.dimensions INTO v_space, v_dimensions FROM coachspool.embedding_spaces s
     WHERE (p_space IS NULL AND s.is_active) OR s.id = p_space;
    IF v_space IS NULL THEN
        RAISE EXCEPTION '%', CASE WHEN p_space IS NULL THEN 'no active embedding space: run a worker (coachspool work) first'
                                  ELSE format('embedding space %s does not exist', p_space) END
              USING ERRCODE = 'no_data_found';
    END IF;
    IF vector_dims(p_query) <> v_dimensions THEN
        RAISE EXCEPTION 'the query vector has % dimensions; space % has %', vector_dims(p_query), v_space, v_dimensions
              USING ERRCODE = 'data_exception';
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT c.id, c.document_id, d.title, d.source, c.body, 1 - c.distance
          FROM (SELECT id, document_id, body, embedding::vector(%1$s) <=> $1 AS distance
                  FROM coachspool.chunks
                 WHERE space_id = %2$s
                 ORDER BY embedding::vector(%1$s) <=> $1
                 LIMIT $2) c
          JOIN coachspool.documents d ON d.id = c.document_id
         ORDER BY c.distance$q$, v_dimensions, v_space)
    USING p_query, p_k;
END
$$;
