-- Issue 27: exports are recorded like training runs. `coachspool export` writes files that hold
-- people's (redacted) conversations; erasure cannot reach files on disk, so each export's
-- folder and the conversations it contained are recorded (ids only, never text), and erasing a
-- person flags the exports that held their conversations and names their folders.
CREATE TABLE coachspool.exports (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    format                   text NOT NULL,
    pipeline_version         text NOT NULL,
    -- the folder the files were written to, absolute, on `host`
    out_dir                  text NOT NULL,
    host                     text NOT NULL,
    train_examples           integer NOT NULL,
    validation_examples      integer NOT NULL,
    conversations            integer NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now(),
    -- set when a person whose conversations are in these files was erased: delete the folder
    -- (or export again into it) and the copies made of it
    contains_erased_data     boolean NOT NULL DEFAULT false
);

-- The conversations of an export (both splits). Erasing a conversation removes its rows here
-- (the export keeps only its flag).
CREATE TABLE coachspool.export_conversations (
    export_id       bigint NOT NULL REFERENCES coachspool.exports ON DELETE CASCADE,
    conversation_id bigint NOT NULL REFERENCES coachspool.conversations ON DELETE CASCADE,
    PRIMARY KEY (export_id, conversation_id)
);
CREATE INDEX export_conversations_conversation ON coachspool.export_conversations (conversation_id);
-- Exporting is an admin's command; workers only read (as with training runs).
GRANT INSERT, UPDATE ON coachspool.exports, coachspool.export_conversations TO coachspool_admin;
REVOKE INSERT, UPDATE, DELETE ON coachspool.exports, coachspool.export_conversations FROM coachspool_worker;

-- Interactions are append-only: only erasure deletes them. Whatever deletes them, the training
-- runs that learnt from their conversations and the exports whose files hold them are flagged
-- first: one trigger for all lineage (it replaces 0008's flag_training_runs_on_erasure).
CREATE OR REPLACE FUNCTION coachspool.flag_lineage_on_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH erased AS (
        SELECT c.id FROM coachspool.conversations c
         WHERE c.key IN (SELECT coachspool.conversation_key(g.session_id, g.idempotency_key) FROM gone g)
    ), runs AS (
        UPDATE coachspool.training_runs r SET contains_erased_data = true
         WHERE NOT r.contains_erased_data
           AND r.id IN (SELECT l.run_id FROM coachspool.training_run_conversations l JOIN erased e ON e.id = l.conversation_id)
    )
    UPDATE coachspool.exports x SET contains_erased_data = true
     WHERE NOT x.contains_erased_data
       AND x.id IN (SELECT l.export_id FROM coachspool.export_conversations l JOIN erased e ON e.id = l.conversation_id);
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS interactions_erased ON coachspool.interactions;
DROP FUNCTION IF EXISTS coachspool.flag_training_runs_on_erasure();
CREATE TRIGGER interactions_erased AFTER DELETE ON coachspool.interactions
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION coachspool.flag_lineage_on_erasure();

-- For admins: one line per export, newest first.
CREATE VIEW coachspool.export_overview AS
SELECT e.id, e.created_at, e.format, e.pipeline_version, e.train_examples, e.validation_examples,
       e.conversations, e.host, e.out_dir, e.contains_erased_data
  FROM coachspool.exports e
 ORDER BY e.id DESC;
