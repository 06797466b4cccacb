-- Top-k chunks by cosine similarity (score = 1 - cosine distance) in a space (the active one by
-- default), through that space's HNSW index; optionally only documents of a language and/or whose
-- source starts with `p_source` (pgvector's iterative scan keeps k results under a filter).
--   SELECT * FROM coachspool.search_vector('[0.01, …]'::vector, 3, p_language => 'sv');
CREATE OR REPLACE FUNCTION coachspool.search_vector(
    p_query vector, p_k integer DEFAULT 3, p_space integer DEFAULT NULL, p_language text DEFAULT NULL, p_source text DEFAULT NULL
) RETURNS TABLE (chunk_id bigint, document_id bigint, title text, source text, body text, score double precision)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_space record := coachspool.resolve_space(p_space);
BEGIN
    IF vector_dims(p_query) <> v_space.dimensions THEN
        RAISE EXCEPTION 'the query vector has % dimensions; space % has %', vector_dims(p_query), v_space.id, v_space.dimensions
              USING ERRCODE = 'data_exception';
    END IF;
    IF p_language IS NOT NULL OR p_source IS NOT NULL THEN
        PERFORM set_config('hnsw.iterative_scan', 'relaxed_order', true);
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT c.id, c.document_id, d.title, d.source, c.body, 1 - c.distance
          FROM (SELECT x.id, x.document_id, x.body, x.embedding::vector(%1$s) <=> $1 AS distance
                  FROM coachspool.chunks x
                 WHERE x.space_id = %2$s
                   AND ($3::text IS NULL AND $4::text IS NULL
                        OR EXISTS (SELECT 1 FROM coachspool.documents y
                                    WHERE y.id = x.document_id
                                      AND ($3::text IS NULL
                                           OR coachspool.text_config(coachspool.document_language(y.language, y.detected_language))
                                              = coachspool.text_config($3))
                                      AND ($4::text IS NULL OR starts_with(y.source, $4))))
                 ORDER BY x.embedding::vector(%1$s) <=> $1
                 LIMIT $2) c
          JOIN coachspool.documents d ON d.id = c.document_id
         ORDER BY c.distance, c.id$q$, v_space.dimensions, v_space.id)
    USING p_query, p_k, p_language, p_source;
END
$$;
