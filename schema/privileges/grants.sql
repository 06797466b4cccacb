-- Who may execute which function, and what nobody but the owner may touch: the one place for
-- these grants. `coachspool migrate` applies this file after the migrations and the function
-- files, in the transaction of the function files, whenever any of them was applied or this file
-- changed (coachspool.schema_privileges), so it also covers a function added later and any
-- database, fresh or migrated from an earlier version.
--
-- Why a file and not default privileges: PostgreSQL lets every role EXECUTE a new function
-- (a global default), and `ALTER DEFAULT PRIVILEGES IN SCHEMA … REVOKE … FROM PUBLIC` cannot
-- take that away, so every function created after 0007_roles.sql was executable by PUBLIC —
-- the SECURITY DEFINER ones (build_space_index, defer_space_index) included.
--
--   coachspool_producer  the coach app: log_interaction, log_feedback, set_consent, recall and
--                        embedding_space (the settings recall's query must be embedded with);
--                        every one runs with its owner's rights. It reads no table.
--   coachspool_worker    every function except erase_user.
--   coachspool_admin     every function.
--   coachspool_reviewer  review_next and review_decide (issue 30), and the view review_queue:
--                        nothing else, and no table.
-- Tests/SpoolTests/PrivilegesTests.swift holds the result function by function: a new function
-- fails it until its row there says who may call it.

-- Every function of the schema (not an extension's, should one be installed here: those keep
-- their extension's grants), by name, so that the decision is one list and does not depend on
-- the search path the types resolve in (pgvector's schema): nothing for anyone, then as above.
DO $$
DECLARE
    v_function record;
BEGIN
    FOR v_function IN
        SELECT p.oid::regprocedure AS signature, p.proname AS name FROM pg_proc p
         WHERE p.pronamespace = 'coachspool'::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC, coachspool_producer, coachspool_worker, coachspool_admin, coachspool_reviewer',
                       v_function.signature);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', v_function.signature, CASE
            -- Erasure deletes everything of a person: admins only.
            WHEN v_function.name = 'erase_user' THEN 'coachspool_admin'
            WHEN v_function.name IN ('log_interaction', 'log_feedback', 'set_consent', 'recall', 'embedding_space')
                THEN 'coachspool_producer, coachspool_worker, coachspool_admin'
            WHEN v_function.name IN ('review_next', 'review_decide')
                THEN 'coachspool_reviewer, coachspool_worker, coachspool_admin'
            ELSE 'coachspool_worker, coachspool_admin' END);
    END LOOP;
END
$$;

-- Tables, views and sequences: their grants are made by the migration that creates them (and
-- 0007's default privileges); what must hold whatever a migration did is restated here. Nobody
-- but the three roles has any right, and the producer none: it reads nothing, not even what
-- it wrote.
REVOKE ALL ON ALL TABLES IN SCHEMA coachspool FROM PUBLIC, coachspool_producer, coachspool_reviewer;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA coachspool FROM PUBLIC, coachspool_producer, coachspool_reviewer;
-- The reviewer reads the queue (the view runs with its owner's rights) and nothing else.
GRANT SELECT ON coachspool.review_queue TO coachspool_reviewer;

-- Views are for reading: nothing writes through one, and 0007's default privileges would let a
-- worker write through every auto-updatable view.
DO $$
DECLARE
    v_view regclass;
BEGIN
    FOR v_view IN SELECT c.oid::regclass FROM pg_class c
                   WHERE c.relnamespace = 'coachspool'::regnamespace AND c.relkind IN ('v', 'm')
    LOOP
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %s FROM coachspool_worker, coachspool_admin', v_view);
    END LOOP;
END
$$;

-- The migrations' own records: only `migrate` (the owner) writes them. 0007 and its default
-- privileges let workers write them, which could make the next `migrate` refuse or skip a file.
REVOKE ALL ON coachspool.schema_migrations, coachspool.schema_functions, coachspool.schema_privileges
    FROM coachspool_worker, coachspool_admin;
GRANT SELECT ON coachspool.schema_migrations, coachspool.schema_functions, coachspool.schema_privileges
    TO coachspool_worker, coachspool_admin;

-- `coachspool erase --compact` (an admin's command) rewrites the tables erasure deletes from
-- with VACUUM (FULL, ANALYZE), and a plain `erase` analyses them again: PostgreSQL 17+ lets a
-- role that does not own a table do both with MAINTAIN. The list is erase_user's
-- (Erasure.tables in Sources/Spool/Privacy/Erasure.swift). MAINTAIN also allows CLUSTER,
-- REINDEX and LOCK TABLE in any mode on them: an admin can make workers wait, as erase --compact
-- does on purpose. Before 17 there is no such privilege (the statement would fail): there the
-- schema's owner or a superuser runs --compact. Nobody else gets MAINTAIN on any table.
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 170000 THEN
        EXECUTE 'REVOKE MAINTAIN ON ALL TABLES IN SCHEMA coachspool FROM PUBLIC, coachspool_producer, coachspool_worker, coachspool_admin, coachspool_reviewer';
        EXECUTE 'GRANT MAINTAIN ON coachspool.jobs, coachspool.memories, coachspool.examples, coachspool.preference_pairs,
                 coachspool.feedback_examples, coachspool.conversation_builds, coachspool.quality_verdicts,
                 coachspool.interaction_texts, coachspool.feedback, coachspool.review_leases, coachspool.reviews,
                 coachspool.interactions, coachspool.consents, coachspool.export_conversations,
                 coachspool.conversations TO coachspool_admin';
    END IF;
END
$$;
