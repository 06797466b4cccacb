-- Issue 26: judging the answers of a trained model (`coachspool eval answers`).
--
-- A run's validation split is recorded beside its train split, so that the questions an
-- evaluation asks are provably held out: conversations the adapter never learnt from. Ids only,
-- never text; erasing a conversation removes its rows (nothing here flags the run: it did not
-- learn from them).
CREATE TABLE coachspool.training_run_validation_conversations (
    run_id          bigint NOT NULL REFERENCES coachspool.training_runs ON DELETE CASCADE,
    conversation_id bigint NOT NULL REFERENCES coachspool.conversations ON DELETE CASCADE,
    PRIMARY KEY (run_id, conversation_id)
);
CREATE INDEX training_run_validation_conversations_conversation
    ON coachspool.training_run_validation_conversations (conversation_id);
GRANT INSERT, UPDATE ON coachspool.training_run_validation_conversations TO coachspool_admin;
REVOKE INSERT, UPDATE, DELETE ON coachspool.training_run_validation_conversations FROM coachspool_worker;

-- eval_runs keeps both kinds: `retrieval` (a space and a search mode, as before) and `answers`
-- (one row per system compared: the base model, an adapter, either with RAG).
ALTER TABLE coachspool.eval_runs
    ADD COLUMN kind text NOT NULL DEFAULT 'retrieval' CHECK (kind IN ('retrieval', 'answers')),
    -- `base`, `base+rag`, `run 7`, `run 7+rag`
    ADD COLUMN system text,
    -- the training runs whose adapters were compared (all of them, on every row of one evaluation)
    ADD COLUMN training_run_ids bigint[],
    -- SHA-256 of the base model's config.json, as training_runs records it
    ADD COLUMN base_model_config_sha256 text,
    ALTER COLUMN space_id DROP NOT NULL,
    ALTER COLUMN mode DROP NOT NULL,
    ADD CONSTRAINT eval_runs_kind_fields CHECK (CASE kind
        WHEN 'retrieval' THEN space_id IS NOT NULL AND mode IS NOT NULL AND system IS NULL
        ELSE system IS NOT NULL AND training_run_ids IS NOT NULL AND base_model_config_sha256 IS NOT NULL END);

-- Answer evaluations, newest first: per system, the figures a person compares.
CREATE VIEW coachspool.answer_eval_history AS
SELECT r.id, r.created_at, r.question_set_sha256, r.questions, r.system, r.training_run_ids,
       (r.metrics->>'loss')::float8 AS loss, (r.metrics->>'perplexity')::float8 AS perplexity,
       (r.metrics->>'cosine')::float8 AS cosine, (r.metrics->>'chrf')::float8 AS chrf,
       (r.metrics->>'win_rate')::float8 AS win_rate,
       (r.metrics->>'prompt_tokens_mean')::float8 AS prompt_tokens_mean,
       (r.metrics->>'seconds_per_answer')::float8 AS seconds_per_answer, r.parameters, r.metrics
  FROM coachspool.eval_runs r
 WHERE r.kind = 'answers'
 ORDER BY r.created_at DESC, r.id DESC;
