-- The build for roles that may not create indexes (coachspool_worker): the owner's rights, in
-- one transaction, so not CONCURRENTLY (chunk writes wait for it; a builder that dies leaves
-- nothing behind). Owners build CONCURRENTLY from the worker instead. False when another session
-- holds the space's lock or there is nothing to build.
CREATE OR REPLACE FUNCTION coachspool.build_space_index(p_space integer)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_started timestamptz := clock_timestamp();
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('coachspool.space_index'), p_space)
       OR coachspool.space_index_plan(p_space, 1) <> 'build' THEN
        RETURN false;
    END IF;
    EXECUTE format('DROP INDEX IF EXISTS coachspool.%I', 'chunks_hnsw_space_' || p_space);
    EXECUTE coachspool.space_index_ddl(p_space, false);
    UPDATE coachspool.embedding_spaces
       SET index_state = 'ready', index_built_at = now(),
           index_build_seconds = extract(epoch FROM clock_timestamp() - v_started)
     WHERE id = p_space;
    RETURN true;
END
$$;
