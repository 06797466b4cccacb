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

-- Erasure flags these exports as it flags training runs: one trigger for all lineage,
-- `flag_lineage_on_erasure` (schema/functions/flag_lineage_on_erasure.sql, which also moves the
-- trigger over from 0008's flag_training_runs_on_erasure).

-- For admins: one line per export, newest first.
CREATE VIEW coachspool.export_overview AS
SELECT e.id, e.created_at, e.format, e.pipeline_version, e.train_examples, e.validation_examples,
       e.conversations, e.host, e.out_dir, e.contains_erased_data
  FROM coachspool.exports e
 ORDER BY e.id DESC;
