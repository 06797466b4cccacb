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
-- lets a re-queued job see that nothing changed and write nothing. Mode, language and time range
-- of the conversation's usable interactions live here, once, for its examples, DPO pairs and
-- KTO examples (NULL when no interaction is usable: no consent, nothing prepared yet).
CREATE TABLE coachspool.conversation_builds (
    conversation_id  bigint NOT NULL REFERENCES coachspool.conversations (id) ON DELETE CASCADE,
    version          text COLLATE "C" NOT NULL,
    input_hash       bytea NOT NULL,
    -- interactions used (consented, prepared)
    interactions     integer NOT NULL,
    mode             text,
    language         text,
    first_at         timestamptz,
    last_at          timestamptz,
    worker           text NOT NULL,
    built_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, version)
);

-- The OpenAI chat example of a conversation (absent when no assistant turn was accepted).
CREATE TABLE coachspool.examples (
    conversation_id  bigint NOT NULL,
    version          text COLLATE "C" NOT NULL,
    -- [{"role": …, "content": …, "weight": 0|1 (assistant only)}], redacted texts
    messages         jsonb NOT NULL,
    turns            integer NOT NULL,
    trained_turns    integer NOT NULL,
    -- cl100k, the cookbook's formula (3 per message + content + 3 for the reply)
    tokens           integer NOT NULL,
    -- sha256 of the normalised messages: exact duplicates are exported once
    content_hash     bytea NOT NULL,
    PRIMARY KEY (conversation_id, version),
    FOREIGN KEY (conversation_id, version) REFERENCES coachspool.conversation_builds ON DELETE CASCADE
);
CREATE INDEX examples_content ON coachspool.examples (version, content_hash);

-- DPO pairs: two answers of different ratings to one user turn (regenerations).
CREATE TABLE coachspool.preference_pairs (
    conversation_id        bigint NOT NULL,
    version                text COLLATE "C" NOT NULL,
    turn_index             integer NOT NULL,
    input                  jsonb NOT NULL,
    preferred              text NOT NULL,
    non_preferred          text NOT NULL,
    preferred_interaction  bigint NOT NULL,
    non_preferred_interaction bigint NOT NULL,
    tokens                 integer NOT NULL,
    content_hash           bytea NOT NULL,
    PRIMARY KEY (conversation_id, version, turn_index),
    FOREIGN KEY (conversation_id, version) REFERENCES coachspool.conversation_builds ON DELETE CASCADE
);
CREATE INDEX preference_pairs_content ON coachspool.preference_pairs (version, content_hash);

-- KTO examples: one rated answer with `helpful` set.
CREATE TABLE coachspool.feedback_examples (
    conversation_id  bigint NOT NULL,
    version          text COLLATE "C" NOT NULL,
    interaction_id   bigint NOT NULL,
    prompt           jsonb NOT NULL,
    completion       text NOT NULL,
    label            boolean NOT NULL,
    tokens           integer NOT NULL,
    content_hash     bytea NOT NULL,
    PRIMARY KEY (conversation_id, version, interaction_id),
    FOREIGN KEY (conversation_id, version) REFERENCES coachspool.conversation_builds ON DELETE CASCADE
);
CREATE INDEX feedback_examples_content ON coachspool.feedback_examples (version, content_hash);

-- Consent changes re-queue the user's conversations, whoever records them (set_consent, or an
-- ingested line's consent field): revoking removes their examples at the next processing,
-- granting builds them. Statement triggers, so that a backfill recording thousands of consents
-- queues their conversations in one set-based statement.
CREATE FUNCTION coachspool.requeue_conversations_of_changed_consents() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM coachspool.enqueue('conversation', c.id)
       FROM (SELECT DISTINCT cv.id
               FROM changed ch
               JOIN coachspool.interactions i ON i.user_id = ch.user_id
               JOIN coachspool.conversations cv ON cv.key = coachspool.conversation_key(i.session_id, i.idempotency_key)
              WHERE ch.purpose = 'training') c;
    IF FOUND THEN PERFORM coachspool.wake_workers(); END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER consents_inserted AFTER INSERT ON coachspool.consents
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION coachspool.requeue_conversations_of_changed_consents();
CREATE TRIGGER consents_updated AFTER UPDATE ON coachspool.consents
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION coachspool.requeue_conversations_of_changed_consents();

-- Admin views ----------------------------------------------------------------------------------

-- Examples per version, mode, language and ISO week of the conversation's last turn; duplicates
-- (the same normalised content as an example of a smaller conversation key) are counted apart,
-- since exports keep them once.
CREATE VIEW coachspool.dataset_overview AS
SELECT version, mode, language, date_trunc('week', last_at)::date AS week,
       count(*) AS examples,
       count(*) FILTER (WHERE key <> first_key) AS duplicates,
       sum(tokens) AS tokens,
       sum(trained_turns) AS trained_turns,
       round(avg(tokens)) AS avg_tokens,
       max(tokens) AS max_tokens
  FROM (SELECT e.version, b.mode, b.language, b.last_at, e.tokens, e.trained_turns, c.key,
               min(c.key) OVER (PARTITION BY e.version, e.content_hash) AS first_key
          FROM coachspool.examples e
          JOIN coachspool.conversation_builds b USING (conversation_id, version)
          JOIN coachspool.conversations c ON c.id = e.conversation_id) x
 GROUP BY 1, 2, 3, 4;

-- Preference and feedback data per version and mode.
CREATE VIEW coachspool.preference_overview AS
SELECT 'dpo' AS kind, p.version, b.mode, count(*) AS examples, sum(p.tokens) AS tokens
  FROM coachspool.preference_pairs p JOIN coachspool.conversation_builds b USING (conversation_id, version)
 GROUP BY p.version, b.mode
UNION ALL
SELECT 'kto', f.version, b.mode, count(*), sum(f.tokens)
  FROM coachspool.feedback_examples f JOIN coachspool.conversation_builds b USING (conversation_id, version)
 GROUP BY f.version, b.mode;

-- Pipeline progress by stage: source rows, how many each stage has finished, and its jobs
-- (from queue_status_by_kind). 'done' for embed:N counts documents whose current content has
-- chunks in space N.
CREATE VIEW coachspool.pipeline_progress AS
WITH stages (stage, total, done) AS (
    SELECT 'interaction', (SELECT count(*) FROM coachspool.interactions),
           (SELECT count(DISTINCT interaction_id) FROM coachspool.quality_verdicts)
    UNION ALL
    SELECT 'conversation', (SELECT count(*) FROM coachspool.conversations),
           (SELECT count(DISTINCT conversation_id) FROM coachspool.conversation_builds)
    UNION ALL
    SELECT 'embed:' || id, documents, documents_current FROM coachspool.embedding_space_status
)
SELECT s.stage, s.total, s.done,
       coalesce(q.ready, 0) AS ready, coalesce(q.running, 0) AS running,
       coalesce(q.retrying, 0) AS retrying, coalesce(q.dead, 0) AS dead
  FROM stages s LEFT JOIN coachspool.queue_status_by_kind q ON q.kind = s.stage;

-- Quality rejections by reason, per pipeline version (one interaction can have several reasons).
CREATE VIEW coachspool.quality_rejections AS
SELECT v.pipeline_version, r.reason, count(*) AS interactions
  FROM coachspool.quality_verdicts v, unnest(v.reasons) AS r(reason)
 WHERE NOT v.accepted
 GROUP BY 1, 2;
