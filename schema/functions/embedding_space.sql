-- The settings of the space a search or recall uses: `p_space`, or the active one; no row when
-- there is none (the caller says what to do). The coach app (coachspool_producer, which reads no
-- table) needs them to embed a recall query with the space's own embedder: a space's settings
-- are not personal data, and this reads nothing else. Runs with its owner's rights, on a fixed
-- search path.
CREATE OR REPLACE FUNCTION coachspool.embedding_space(p_space integer DEFAULT NULL)
RETURNS TABLE (id integer, embedder text, model text, dimensions integer, chunk_unit text, chunk_size integer,
               chunk_overlap integer, is_active boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.id, s.embedder, s.model, s.dimensions, s.chunk_unit, s.chunk_size, s.chunk_overlap, s.is_active
      FROM coachspool.embedding_spaces s
     WHERE (p_space IS NULL AND s.is_active) OR s.id = p_space
$$;
