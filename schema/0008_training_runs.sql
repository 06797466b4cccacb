-- Issue 15: training runs and their lineage. `coachspool train` records every run (what it was
-- trained on, with which settings, and what it measured); the conversations of its train split
-- are recorded per run (ids only, never text), so that erasing a person names the runs that
-- learnt from them and flags those runs.
CREATE TABLE coachspool.training_runs (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    method                   text NOT NULL CHECK (method IN ('sft', 'dpo', 'kto')),
    base_model               text NOT NULL,
    -- SHA-256 of the base model's config.json: the same name can hide another model
    base_model_config_sha256 text NOT NULL,
    hyperparameters          jsonb NOT NULL,
    dataset_format           text NOT NULL,
    pipeline_version         text,
    manifest_sha256          text NOT NULL,
    files_sha256             jsonb NOT NULL,
    status                   text NOT NULL DEFAULT 'running'
                             CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
    -- training_report.json's figures: baseline_eval_loss, eval_loss, train_loss_by_epoch, …
    metrics                  jsonb,
    error                    text,
    out_dir                  text NOT NULL,
    adapter_path             text,
    adapter_sha256           text,
    host                     text NOT NULL,
    pid                      integer NOT NULL,
    started_at               timestamptz NOT NULL DEFAULT now(),
    finished_at              timestamptz,
    -- set when a person whose conversations this run learnt from was erased: retrain without them
    contains_erased_data     boolean NOT NULL DEFAULT false,
    CHECK ((status = 'running') = (finished_at IS NULL))
);

-- The conversations of a run's train split. Erasing a conversation removes its rows here (the
-- run keeps only its flag).
CREATE TABLE coachspool.training_run_conversations (
    run_id          bigint NOT NULL REFERENCES coachspool.training_runs ON DELETE CASCADE,
    conversation_id bigint NOT NULL REFERENCES coachspool.conversations ON DELETE CASCADE,
    PRIMARY KEY (run_id, conversation_id)
);
CREATE INDEX training_run_conversations_conversation ON coachspool.training_run_conversations (conversation_id);

-- A running run holds this session-level advisory lock (class 7301, the run id) for as long as
-- its `coachspool train` process lives: a run whose lock is free is no longer running.
CREATE FUNCTION coachspool.reap_training_runs() RETURNS SETOF bigint LANGUAGE sql AS $$
    UPDATE coachspool.training_runs
       SET status = 'interrupted', finished_at = now(),
           error = 'the training process ended without finishing (killed, or its database connection was lost)'
     WHERE status = 'running' AND pg_try_advisory_xact_lock(7301, id::integer)
    RETURNING id
$$;

-- The runs that learnt from a person's conversations (for erasure reports, before erase_user).
CREATE FUNCTION coachspool.training_runs_of_user(p_user_id text) RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
    SELECT DISTINCT l.run_id
      FROM coachspool.training_run_conversations l
      JOIN coachspool.conversations c ON c.id = l.conversation_id
     WHERE c.key IN (SELECT coachspool.conversation_key(i.session_id, i.idempotency_key)
                       FROM coachspool.interactions i WHERE i.user_id = p_user_id)
     ORDER BY 1
$$;

-- Interactions are append-only: only erasure deletes them. Whatever deletes them, the runs that
-- learnt from their conversations (shared conversations included) are flagged first.
CREATE FUNCTION coachspool.flag_training_runs_on_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE coachspool.training_runs r SET contains_erased_data = true
     WHERE NOT r.contains_erased_data
       AND r.id IN (SELECT l.run_id
                      FROM coachspool.training_run_conversations l
                      JOIN coachspool.conversations c ON c.id = l.conversation_id
                     WHERE c.key IN (SELECT coachspool.conversation_key(g.session_id, g.idempotency_key) FROM gone g));
    RETURN NULL;
END
$$;
CREATE TRIGGER interactions_erased AFTER DELETE ON coachspool.interactions
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION coachspool.flag_training_runs_on_erasure();

-- For admins: one line per run, newest first.
CREATE VIEW coachspool.training_run_overview AS
SELECT r.id, r.status, r.method, r.base_model, r.dataset_format, r.pipeline_version,
       (r.metrics ->> 'baseline_eval_loss')::double precision AS baseline_eval_loss,
       (r.metrics ->> 'eval_loss')::double precision AS eval_loss,
       (SELECT count(*) FROM coachspool.training_run_conversations l WHERE l.run_id = r.id) AS train_conversations,
       r.contains_erased_data, r.started_at, r.finished_at, r.finished_at - r.started_at AS duration,
       r.host, r.adapter_path
  FROM coachspool.training_runs r
 ORDER BY r.id DESC;

-- Admins train (record runs); workers never do. Erasure (SECURITY DEFINER) flags runs as owner.
GRANT INSERT, UPDATE ON coachspool.training_runs, coachspool.training_run_conversations TO coachspool_admin;
REVOKE INSERT, UPDATE, DELETE ON coachspool.training_runs, coachspool.training_run_conversations FROM coachspool_worker;
