-- Top-k chunks by full-text rank (ts_rank_cd of `question_tsquery`, normalised by length) in a
-- space; the same filters as search_vector.
--   SELECT * FROM coachspool.search_text('Hur slutar jag skjuta upp saker?', 3);
CREATE OR REPLACE FUNCTION coachspool.search_text(
    p_query text, p_k integer DEFAULT 3, p_space integer DEFAULT NULL, p_language text DEFAULT NULL, p_source text DEFAULT NULL
) RETURNS TABLE (chunk_id bigint, document_id bigint, title text, source text, body text, score double precision)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_space record := coachspool.resolve_space(p_space);
    v_query tsquery := coachspool.question_tsquery(p_query);
BEGIN
    RETURN QUERY
    SELECT c.id, c.document_id, d.title, d.source, c.body, ts_rank_cd(c.tsv, v_query, 1)::double precision
      FROM coachspool.chunks c
      JOIN coachspool.documents d ON d.id = c.document_id
     WHERE c.space_id = v_space.id AND c.tsv @@ v_query
       AND (p_language IS NULL
            OR coachspool.text_config(coachspool.document_language(d.language, d.detected_language)) = coachspool.text_config(p_language))
       AND (p_source IS NULL OR starts_with(d.source, p_source))
     ORDER BY 6 DESC, c.id
     LIMIT p_k;
END
$$;
