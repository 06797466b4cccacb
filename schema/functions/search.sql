-- Top-k chunks by cosine similarity in a space (the active one by default): the vector search
-- of issue 5, kept for the coach app; `search_vector` adds filters, `search_text` and
-- `search_hybrid` the other modes.
--   SELECT * FROM coachspool.search('[0.01, …]'::vector, 3);
CREATE OR REPLACE FUNCTION coachspool.search(p_query vector, p_k integer DEFAULT 3, p_space integer DEFAULT NULL)
RETURNS TABLE (chunk_id bigint, document_id bigint, title text, source text, body text, score double precision)
LANGUAGE sql STABLE AS $$
    SELECT * FROM coachspool.search_vector(p_query, p_k, p_space)
$$;
