-- space_index_plan's 'defer', done: drops the space's small index. Runs with the owner's rights (workers have
-- no DDL); false when another session holds the space's lock or the plan changed meanwhile.
CREATE OR REPLACE FUNCTION coachspool.defer_space_index(p_space integer, p_threshold integer)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('coachspool.space_index'), p_space)
       OR coachspool.space_index_plan(p_space, p_threshold) <> 'defer' THEN
        RETURN false;
    END IF;
    EXECUTE format('DROP INDEX IF EXISTS coachspool.%I', 'chunks_hnsw_space_' || p_space);
    UPDATE coachspool.embedding_spaces SET index_state = 'deferred' WHERE id = p_space;
    RETURN true;
END
$$;
