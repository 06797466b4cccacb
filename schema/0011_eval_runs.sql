-- Issue 17: every retrieval evaluation (`coachspool eval retrieval`) is kept, so that "better than
-- the baseline" is a query: per space and search mode, the metrics over a question set
-- identified by its SHA-256.
CREATE TABLE coachspool.eval_runs (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    space_id             integer NOT NULL REFERENCES coachspool.embedding_spaces,
    mode                 text NOT NULL CHECK (mode IN ('vector', 'text', 'hybrid')),
    -- depth, candidates, fusion settings, level ('document')
    parameters           jsonb NOT NULL,
    -- {"ndcg@10", "recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "map@10"}: means over the questions
    metrics              jsonb NOT NULL,
    questions            integer NOT NULL CHECK (questions > 0),
    -- sha256 of the queries file, U+001F, the qrels file
    question_set_sha256  text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX eval_runs_set ON coachspool.eval_runs (question_set_sha256, created_at);

-- The history of evaluations, newest first, with the space's embedder: compare a mode or a new
-- space with an earlier run on the same question set.
CREATE VIEW coachspool.eval_history AS
SELECT r.id, r.created_at, r.question_set_sha256, r.questions, r.space_id, s.embedder, s.model,
       s.chunk_unit || ' ' || s.chunk_size || '/' || s.chunk_overlap AS chunker, r.mode,
       (r.metrics->>'ndcg@10')::float8 AS ndcg_10, (r.metrics->>'recall@1')::float8 AS recall_1,
       (r.metrics->>'recall@3')::float8 AS recall_3, (r.metrics->>'recall@5')::float8 AS recall_5,
       (r.metrics->>'recall@10')::float8 AS recall_10, (r.metrics->>'mrr@10')::float8 AS mrr_10,
       (r.metrics->>'map@10')::float8 AS map_10, r.parameters
  FROM coachspool.eval_runs r
  JOIN coachspool.embedding_spaces s ON s.id = r.space_id
 ORDER BY r.created_at DESC, r.id DESC;

-- Admins evaluate (record runs); workers never do.
GRANT INSERT ON coachspool.eval_runs TO coachspool_admin;
REVOKE INSERT, UPDATE, DELETE ON coachspool.eval_runs FROM coachspool_worker;
