-- The embedding space a search uses: `p_space`, or the active one; errors say what to do.
CREATE OR REPLACE FUNCTION coachspool.resolve_space(p_space integer, OUT id integer, OUT dimensions integer)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT s.id, s.dimensions INTO id, dimensions FROM coachspool.embedding_spaces s
     WHERE (p_space IS NULL AND s.is_active) OR s.id = p_space;
    IF id IS NULL THEN
        RAISE EXCEPTION '%', CASE WHEN p_space IS NULL THEN 'no active embedding space: run a worker (coachspool work) first'
                                  ELSE format('embedding space %s does not exist', p_space) END
              USING ERRCODE = 'no_data_found';
    END IF;
END
$$;
