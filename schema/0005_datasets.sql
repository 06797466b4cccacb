-- Issue 6: fine-tune-ready examples, built by workers per conversation and pipeline version.
--
-- A conversation is a session (all interactions with its session id) or, without a session, one
-- interaction. When an interaction job completes, the worker upserts its conversation and queues
-- a 'conversation' job for it (in the completing statement); the conversation job rebuilds the
-- examples from the redacted texts, the verdicts and the latest feedback of the interactions
-- whose users granted training consent. A changed consent re-queues the user's conversations.

-- 's:<session id>' or 'k:<idempotency key>': stable across databases and re-ingests, so that
-- exports (ordered and split by key) are the same wherever the same input was processed.
CREATE FUNCTION coachspool.conversation_key(p_session_id text, p_idempotency_key text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_session_id IS NOT NULL THEN 's:' || p_session_id ELSE 'k:' || p_idempotency_key END
$$;

CREATE TABLE coachspool.conversations (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key             text COLLATE "C" NOT NULL UNIQUE,
    -- exactly one of the two: the session, or the single interaction
    session_id      text COLLATE "C",
    interaction_id  bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- the last time an interaction of it was (re)processed
    touched_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((session_id IS NULL) <> (interaction_id IS NULL))
);

-- One row per conversation and example version that was built: the fingerprint of the inputs
-- lets a re-queued job see that nothing changed and write nothing.
CREATE TABLE coachspool.conversation_builds (
    conversation_id  bigint NOT NULL REFERENCES coachspool.conversations (id) ON DELETE CASCADE,
    version          text COLLATE "C" NOT NULL,
    input_hash       bytea NOT NULL,
    -- interactions used (consented, prepared) / in the conversation
    interactions     integer NOT NULL,
    worker           text NOT NULL,
    built_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, version)
);

-- The OpenAI chat example of a conversation (absent when no assistant turn was accepted).
CREATE TABLE coachspool.examples (
    conversation_id  bigint NOT NULL REFERENCES coachspool.conversations (id) ON DELETE CASCADE,
    version          text COLLATE "C" NOT NULL,
    mode             text NOT NULL,
    language         text,
    -- [{"role": …, "content": …, "weight": 0|1 (assistant only)}], redacted texts
    messages         jsonb NOT NULL,
    turns            integer NOT NULL,
    trained_turns    integer NOT NULL,
    -- cl100k, the cookbook's formula (3 per message + content + 3 for the reply)
    tokens           integer NOT NULL,
    -- sha256 of the normalised messages: exact duplicates are exported once
    content_hash     bytea NOT NULL,
    first_at         timestamptz NOT NULL,
    last_at          timestamptz NOT NULL,
    worker           text NOT NULL,
    built_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, version)
);
CREATE INDEX examples_content ON coachspool.examples (version, content_hash);

-- DPO pairs: two answers of different ratings to one user turn (regenerations).
CREATE TABLE coachspool.preference_pairs (
    conversation_id        bigint NOT NULL REFERENCES coachspool.conversations (id) ON DELETE CASCADE,
    version                text COLLATE "C" NOT NULL,
    turn_index             integer NOT NULL,
    mode                   text NOT NULL,
    language               text,
    input                  jsonb NOT NULL,
    preferred              text NOT NULL,
    non_preferred          text NOT NULL,
    preferred_interaction  bigint NOT NULL,
    non_preferred_interaction bigint NOT NULL,
    tokens                 integer NOT NULL,
    content_hash           bytea NOT NULL,
    first_at               timestamptz NOT NULL,
    last_at                timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, version, turn_index)
);
CREATE INDEX preference_pairs_content ON coachspool.preference_pairs (version, content_hash);

-- KTO examples: one rated answer with `helpful` set.
CREATE TABLE coachspool.feedback_examples (
    conversation_id  bigint NOT NULL REFERENCES coachspool.conversations (id) ON DELETE CASCADE,
    version          text COLLATE "C" NOT NULL,
    interaction_id   bigint NOT NULL,
    mode             text NOT NULL,
    language         text,
    prompt           jsonb NOT NULL,
    completion       text NOT NULL,
    label            boolean NOT NULL,
    tokens           integer NOT NULL,
    content_hash     bytea NOT NULL,
    first_at         timestamptz NOT NULL,
    last_at          timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, version, interaction_id)
);
CREATE INDEX feedback_examples_content ON coachspool.feedback_examples (version, content_hash);

-- Consent changes re-queue the user's conversations: revoking removes their examples at the
-- next processing, granting builds them.
CREATE OR REPLACE FUNCTION coachspool.set_consent(p_user_id text, p_purpose text, p_granted boolean, p_source text DEFAULT 'app')
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_changed boolean;
BEGIN
    IF p_user_id IS NULL OR btrim(p_user_id) = '' THEN
        RAISE EXCEPTION 'user id must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO coachspool.consents AS c (user_id, purpose, granted, source)
    VALUES (p_user_id, p_purpose, p_granted, p_source)
    ON CONFLICT (user_id, purpose) DO UPDATE
       SET granted = excluded.granted, source = excluded.source, updated_at = now()
     WHERE c.granted <> excluded.granted
    RETURNING true INTO v_changed;
    IF coalesce(v_changed, false) AND p_purpose = 'training' THEN
        PERFORM coachspool.enqueue('conversation', c.id)
           FROM coachspool.conversations c
          WHERE c.id IN (SELECT cv.id FROM coachspool.interactions i
                           JOIN coachspool.conversations cv
                             ON cv.key = coachspool.conversation_key(i.session_id, i.idempotency_key)
                          WHERE i.user_id = p_user_id);
        PERFORM coachspool.wake_workers();
    END IF;
    RETURN coalesce(v_changed, false);
END
$$;

-- Admin views ----------------------------------------------------------------------------------

-- Examples per version, mode, language and ISO week of the conversation's last turn; duplicates
-- (same normalised content as an example of a smaller key) are counted apart, since exports
-- keep them once.
CREATE VIEW coachspool.dataset_overview AS
SELECT e.version, e.mode, e.language, date_trunc('week', e.last_at)::date AS week,
       count(*) AS examples,
       count(*) FILTER (WHERE d.first_key IS DISTINCT FROM c.key) AS duplicates,
       sum(e.tokens) AS tokens,
       sum(e.trained_turns) AS trained_turns,
       round(avg(e.tokens)) AS avg_tokens,
       max(e.tokens) AS max_tokens
  FROM coachspool.examples e
  JOIN coachspool.conversations c ON c.id = e.conversation_id
  LEFT JOIN LATERAL (SELECT min(c2.key COLLATE "C") AS first_key
                       FROM coachspool.examples e2 JOIN coachspool.conversations c2 ON c2.id = e2.conversation_id
                      WHERE e2.version = e.version AND e2.content_hash = e.content_hash) d ON true
 GROUP BY 1, 2, 3, 4;

-- Preference and feedback data per version.
CREATE VIEW coachspool.preference_overview AS
SELECT 'dpo' AS kind, version, mode, count(*) AS examples, sum(tokens) AS tokens
  FROM coachspool.preference_pairs GROUP BY version, mode
UNION ALL
SELECT 'kto', version, mode, count(*), sum(tokens)
  FROM coachspool.feedback_examples GROUP BY version, mode;

-- Pipeline progress by stage: how many source rows each stage has finished, and what waits.
CREATE VIEW coachspool.pipeline_progress AS
SELECT 'interaction' AS stage,
       (SELECT count(*) FROM coachspool.interactions) AS total,
       (SELECT count(DISTINCT interaction_id) FROM coachspool.quality_verdicts) AS done,
       (SELECT count(*) FROM coachspool.jobs WHERE kind = 'interaction' AND state = 'ready') AS ready,
       (SELECT count(*) FROM coachspool.jobs WHERE kind = 'interaction' AND state = 'running') AS running,
       (SELECT count(*) FROM coachspool.jobs WHERE kind = 'interaction' AND state = 'dead') AS dead
UNION ALL
SELECT 'conversation',
       (SELECT count(*) FROM coachspool.conversations),
       (SELECT count(DISTINCT conversation_id) FROM coachspool.conversation_builds),
       (SELECT count(*) FROM coachspool.jobs WHERE kind = 'conversation' AND state = 'ready'),
       (SELECT count(*) FROM coachspool.jobs WHERE kind = 'conversation' AND state = 'running'),
       (SELECT count(*) FROM coachspool.jobs WHERE kind = 'conversation' AND state = 'dead')
UNION ALL
SELECT 'embed:' || s.id,
       (SELECT count(*) FROM coachspool.documents),
       (SELECT count(DISTINCT document_id) FROM coachspool.chunks c WHERE c.space_id = s.id),
       (SELECT count(*) FROM coachspool.jobs WHERE kind = 'embed:' || s.id AND state = 'ready'),
       (SELECT count(*) FROM coachspool.jobs WHERE kind = 'embed:' || s.id AND state = 'running'),
       (SELECT count(*) FROM coachspool.jobs WHERE kind = 'embed:' || s.id AND state = 'dead')
  FROM coachspool.embedding_spaces s;

-- Quality rejections by reason, per pipeline version (one interaction can have several reasons).
CREATE VIEW coachspool.quality_rejections AS
SELECT v.pipeline_version, r.reason, count(*) AS interactions
  FROM coachspool.quality_verdicts v, unnest(v.reasons) AS r(reason)
 WHERE NOT v.accepted
 GROUP BY 1, 2;
