-- Top-k chunks by reciprocal rank fusion of the text and vector rankings (Cormack et al.; as
-- pg_vectorize and pgEdge Vectorizer do): score = Σ weight / (p_rrf_k + rank) over the two
-- rankings of `p_candidates` chunks each. A chunk found by one ranking only still counts.
--   SELECT * FROM coachspool.search_hybrid('Hur slutar jag skjuta upp saker?', '[0.01, …]'::vector, 3);
CREATE OR REPLACE FUNCTION coachspool.search_hybrid(
    p_query text, p_vector vector, p_k integer DEFAULT 3, p_space integer DEFAULT NULL,
    p_language text DEFAULT NULL, p_source text DEFAULT NULL,
    p_rrf_k integer DEFAULT 60, p_text_weight double precision DEFAULT 1, p_vector_weight double precision DEFAULT 1,
    p_candidates integer DEFAULT 50
) RETURNS TABLE (chunk_id bigint, document_id bigint, title text, source text, body text, score double precision)
LANGUAGE sql STABLE AS $$
    WITH v AS (
        SELECT s.chunk_id, row_number() OVER (ORDER BY s.score DESC, s.chunk_id) AS r
          FROM coachspool.search_vector(p_vector, greatest(p_candidates, p_k), p_space, p_language, p_source) s
    ), t AS (
        SELECT s.chunk_id, row_number() OVER (ORDER BY s.score DESC, s.chunk_id) AS r
          FROM coachspool.search_text(p_query, greatest(p_candidates, p_k), p_space, p_language, p_source) s
    ), fused AS (
        SELECT coalesce(v.chunk_id, t.chunk_id) AS chunk_id,
               coalesce(p_vector_weight / (p_rrf_k + v.r), 0) + coalesce(p_text_weight / (p_rrf_k + t.r), 0) AS score
          FROM v FULL JOIN t ON t.chunk_id = v.chunk_id
    )
    SELECT c.id, c.document_id, d.title, d.source, c.body, f.score
      FROM fused f
      JOIN coachspool.chunks c ON c.id = f.chunk_id
      JOIN coachspool.documents d ON d.id = c.document_id
     ORDER BY f.score DESC, c.id
     LIMIT p_k
$$;
