-- Issue 17: the conversation memory. Interactions of users who granted `retrieval` consent and
-- that passed the quality filter are embedded from their redacted texts, per embedding space
-- (`memory:N` jobs), so the coach can recall what a user said before (`coachspool.recall`) and
-- find well-rated answers to similar questions across consenting users.
CREATE TABLE coachspool.memories (
    space_id        integer NOT NULL REFERENCES coachspool.embedding_spaces,
    interaction_id  bigint NOT NULL REFERENCES coachspool.interactions ON DELETE CASCADE,
    user_id         text COLLATE "C" NOT NULL,
    occurred_at     timestamptz NOT NULL,
    -- the redacted exchange as embedded: "User: …\nCoach: …"
    body            text NOT NULL,
    -- the text version it was made from, and the latest rating when it was made
    text_version    text NOT NULL,
    rating          smallint,
    tokens          integer,
    embedding       vector NOT NULL,
    worker          text NOT NULL,
    embedded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, interaction_id)
);
CREATE INDEX memories_user ON coachspool.memories (user_id, space_id);

-- The stage graph grows by `memory:N` (Sources/Spool/StageGraph.swift).
ALTER TABLE coachspool.jobs DROP CONSTRAINT jobs_kind_declared;
ALTER TABLE coachspool.jobs ADD CONSTRAINT jobs_kind_declared
    CHECK (kind IN ('interaction', 'conversation', 'noop') OR kind ~ '^(embed|memory):[1-9][0-9]{0,9}$') NOT VALID;
ALTER TABLE coachspool.jobs VALIDATE CONSTRAINT jobs_kind_declared;

-- Workers write memories and admins read them (the default privileges of 0007); the producer
-- reads them only through coachspool.recall (SECURITY DEFINER, schema/functions/recall.sql).
