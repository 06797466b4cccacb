-- Well-rated answers to similar questions across users who granted retrieval consent: memories
-- rated at least `p_min_rating`, nearest to a query vector (cosine).
--   SELECT * FROM coachspool.search_conversations('[0.01, …]'::vector, 3);
CREATE OR REPLACE FUNCTION coachspool.search_conversations(
    p_query vector, p_k integer DEFAULT 3, p_space integer DEFAULT NULL, p_min_rating integer DEFAULT 4
) RETURNS TABLE (interaction_id bigint, occurred_at timestamptz, body text, rating smallint, score double precision)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_space record := coachspool.resolve_space(p_space);
BEGIN
    RETURN QUERY
    SELECT m.interaction_id, m.occurred_at, m.body, m.rating, 1 - (m.embedding <=> p_query)
      FROM coachspool.memories m
     WHERE m.space_id = v_space.id AND m.rating >= p_min_rating
     ORDER BY m.embedding <=> p_query, m.interaction_id
     LIMIT p_k;
END
$$;
