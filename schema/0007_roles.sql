-- Issue 6: least-privilege roles (NOLOGIN groups: grant them to login roles, e.g.
--   CREATE ROLE coach_app LOGIN PASSWORD '…' IN ROLE coachspool_producer;).
--
--   coachspool_producer  may only call the logging functions (log_interaction, log_feedback,
--                        set_consent): it cannot read anything, not even what it wrote.
--   coachspool_worker    reads sources, writes derived rows and jobs (no DDL, no erasure).
--   coachspool_admin     reads every table and view, exports, retries and discards jobs,
--                        records consent and erases users.
--
-- Roles belong to the cluster, so creating them tolerates their existing already (another
-- database on the same server). The migrating role needs CREATEROLE for this migration.
DO $$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['coachspool_producer', 'coachspool_worker', 'coachspool_admin'] LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END LOOP;
END
$$;

-- Functions are executable by everyone by default: not here.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA coachspool FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA coachspool REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

GRANT USAGE ON SCHEMA coachspool TO coachspool_producer, coachspool_worker, coachspool_admin;

-- The producer's functions run with their owner's rights (SECURITY DEFINER), with a fixed
-- search path so that a caller's objects cannot stand in for ours.
ALTER FUNCTION coachspool.log_interaction(text, text, text, text, integer, text, text, timestamptz, integer, boolean, text)
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION coachspool.log_feedback(bigint, integer, boolean) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION coachspool.set_consent(text, text, boolean, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
GRANT EXECUTE ON FUNCTION
    coachspool.log_interaction(text, text, text, text, integer, text, text, timestamptz, integer, boolean, text),
    coachspool.log_feedback(bigint, integer, boolean),
    coachspool.set_consent(text, text, boolean, text)
TO coachspool_producer;

-- A worker registers its embedding space, which creates an index: that needs the owner. Its
-- dynamic SQL names pgvector's type and operator class, so the path includes their schema.
DO $$
BEGIN
    EXECUTE format(
        'ALTER FUNCTION coachspool.register_space(text, text, integer, text, integer, integer) '
        'SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp',
        (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'));
END
$$;

-- Workers: data in and out, no DDL.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA coachspool TO coachspool_worker;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA coachspool TO coachspool_worker;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA coachspool TO coachspool_worker;
REVOKE EXECUTE ON FUNCTION coachspool.erase_user(text) FROM coachspool_worker;
ALTER DEFAULT PRIVILEGES IN SCHEMA coachspool GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO coachspool_worker;
ALTER DEFAULT PRIVILEGES IN SCHEMA coachspool GRANT USAGE ON SEQUENCES TO coachspool_worker;
ALTER DEFAULT PRIVILEGES IN SCHEMA coachspool GRANT EXECUTE ON FUNCTIONS TO coachspool_worker;

-- Admins: read everything; change only jobs (retry, discard) and, through functions, consent
-- and erasure.
GRANT SELECT ON ALL TABLES IN SCHEMA coachspool TO coachspool_admin;
GRANT UPDATE, DELETE ON coachspool.jobs TO coachspool_admin;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA coachspool TO coachspool_admin;
ALTER DEFAULT PRIVILEGES IN SCHEMA coachspool GRANT SELECT ON TABLES TO coachspool_admin;
ALTER DEFAULT PRIVILEGES IN SCHEMA coachspool GRANT EXECUTE ON FUNCTIONS TO coachspool_admin;

-- Erasure deletes from every table: it runs with the owner's rights, for admins only.
ALTER FUNCTION coachspool.erase_user(text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
