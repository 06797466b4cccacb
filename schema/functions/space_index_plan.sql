-- What a space's HNSW index needs next (issue 18); space_index_ddl, defer_space_index and
-- build_space_index do it. Workers call them (Sources/Spool/Knowledge/SpaceIndex.swift); one
-- builder at a time per space, by advisory lock on (hashtext('coachspool.space_index'), space id).
--
--   build   deferred, nothing left to embed, vectors present: build it now
--   defer   ready, a backlog of at least p_threshold documents while the space holds fewer than
--           p_threshold vectors: dropping the small index and building it after the backlog is
--           cheaper than inserting the backlog into it one vector at a time
--   none    nothing to do
-- Counts stop at the threshold, so that the check stays cheap on large spaces.
CREATE OR REPLACE FUNCTION coachspool.space_index_plan(p_space integer, p_threshold integer)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN s.index_state = 'deferred'
             AND NOT EXISTS (SELECT 1 FROM coachspool.jobs j WHERE j.kind = 'embed:' || s.id AND j.state <> 'dead')
             AND EXISTS (SELECT 1 FROM coachspool.chunks c WHERE c.space_id = s.id)
            THEN 'build'
        WHEN s.index_state = 'ready'
             AND (SELECT count(*) FROM (SELECT 1 FROM coachspool.jobs j
                                         WHERE j.kind = 'embed:' || s.id AND j.state <> 'dead' LIMIT p_threshold) p) >= p_threshold
             AND (SELECT count(*) FROM (SELECT 1 FROM coachspool.chunks c WHERE c.space_id = s.id LIMIT p_threshold) v) < p_threshold
            THEN 'defer'
        ELSE 'none' END
      FROM coachspool.embedding_spaces s WHERE s.id = p_space
$$;
