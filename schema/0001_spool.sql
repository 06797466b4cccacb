-- The spool: append-only source data, the hot jobs table, and the first derived table.
-- Applied once by `coachspool migrate`, inside a transaction.

-- Source data ----------------------------------------------------------------------------------

-- One user message and the coach's answer. Never rewritten by workers.
CREATE TABLE coachspool.interactions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- 'id:<producer id>' when the producer gave one, else 'h:<sha256 of session, time, texts>'
    -- COLLATE "C" on indexed identifiers: byte comparison instead of the locale's strcoll,
    -- which is most of the cost of maintaining these indexes during bulk ingest.
    idempotency_key  text COLLATE "C" NOT NULL UNIQUE,
    session_id       text COLLATE "C",
    turn_index       integer CHECK (turn_index >= 0),
    mode             text NOT NULL CHECK (mode IN ('personal', 'university')),
    language         text,
    user_id          text COLLATE "C",
    occurred_at      timestamptz NOT NULL,
    user_input       text NOT NULL CHECK (user_input <> ''),
    ai_response      text NOT NULL CHECK (ai_response <> ''),
    received_at      timestamptz NOT NULL DEFAULT now(),
    -- where the row came from: a file and line (CLI ingest) or 'sql' (log_interaction)
    origin_file      text,
    origin_line      bigint,
    CHECK ((origin_file IS NULL) = (origin_line IS NULL))
);
CREATE INDEX interactions_session ON coachspool.interactions (session_id, turn_index) WHERE session_id IS NOT NULL;
CREATE INDEX interactions_user ON coachspool.interactions (user_id) WHERE user_id IS NOT NULL;

-- Ratings arrive with the interaction or later; several per interaction, the latest wins.
CREATE TABLE coachspool.feedback (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No foreign key: its per-row trigger cost a fifth of bulk ingest time. The two writers
    -- (ingest, log_feedback) only add feedback for interactions that exist.
    interaction_id   bigint NOT NULL,
    rating           smallint CHECK (rating BETWEEN 1 AND 5),
    helpful          boolean,
    received_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (rating IS NOT NULL OR helpful IS NOT NULL)
);
CREATE INDEX feedback_interaction ON coachspool.feedback (interaction_id, id);

CREATE VIEW coachspool.latest_feedback AS
SELECT DISTINCT ON (interaction_id) interaction_id, rating, helpful, received_at
FROM coachspool.feedback
ORDER BY interaction_id, id DESC;

-- The spool ------------------------------------------------------------------------------------

-- Work to do. Small and hot: a finished job is deleted in the same transaction that writes its
-- derived rows (which record worker and time), so there is no history table to bloat.
--   ready    claimable once run_at has passed (run_at in the future = waiting for a retry)
--   running  leased to lease_owner until lease_expires_at; attempt is the fencing token
--   dead     failed max_attempts times; kept with last_error until retried or discarded
CREATE TABLE coachspool.jobs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text COLLATE "C" NOT NULL,
    source_id         bigint NOT NULL,
    state             text NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'running', 'dead')),
    run_at            timestamptz NOT NULL DEFAULT now(),
    attempt           integer NOT NULL DEFAULT 0,
    max_attempts      integer NOT NULL DEFAULT 5,
    lease_owner       text COLLATE "C",
    lease_expires_at  timestamptz,
    -- set when new input (late feedback) arrived while the job ran: completion re-queues it
    rerun             boolean NOT NULL DEFAULT false,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, source_id),
    CHECK ((state = 'running') = (lease_owner IS NOT NULL))
);
CREATE INDEX jobs_ready ON coachspool.jobs (run_at, id) WHERE state = 'ready';
-- No index on leases: every index here costs an insert per claim, and the reaper's scan for
-- expired leases runs in one worker at a time (an advisory lock), every half lease.
ALTER TABLE coachspool.jobs SET (fillfactor = 80);

-- Live worker processes, maintained by their heartbeats.
CREATE TABLE coachspool.workers (
    id              text PRIMARY KEY,
    host            text NOT NULL,
    pid             integer NOT NULL,
    concurrency     integer NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    last_heartbeat  timestamptz NOT NULL DEFAULT now(),
    stopped_at      timestamptz
);

-- Derived data ---------------------------------------------------------------------------------

-- The seed's filter_quality_data, one verdict per interaction and pipeline version.
CREATE TABLE coachspool.quality_verdicts (
    interaction_id    bigint NOT NULL REFERENCES coachspool.interactions (id),
    pipeline_version  text COLLATE "C" NOT NULL,
    accepted          boolean NOT NULL,
    reasons           text[] NOT NULL,
    rating            smallint,
    worker            text NOT NULL,
    processed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (interaction_id, pipeline_version)
);

-- Producer API (for the coach app, in any language) -----------------------------------------

-- The idempotency key of an interaction without a producer id:
--   'h:' || hex(sha256('<n>:<session id>|<epoch microseconds>|<n>:<user input>|<answer>'))
-- where <n> is a length in characters. The CLI computes the same key in Swift
-- (InteractionRecord.idempotencyKey); a test holds the two together.
CREATE FUNCTION coachspool.interaction_key(
    p_session_id text, p_occurred_at timestamptz, p_user_input text, p_ai_response text
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'h:' || encode(sha256(convert_to(
        length(coalesce(p_session_id, '')) || ':' || coalesce(p_session_id, '') || '|' ||
        (extract(epoch FROM p_occurred_at) * 1000000)::bigint || '|' ||
        length(p_user_input) || ':' || p_user_input || '|' ||
        p_ai_response, 'UTF8')), 'hex')
$$;

-- Asks idle workers to look for work now (they also poll). Delivered at commit.
CREATE FUNCTION coachspool.wake_workers() RETURNS void LANGUAGE sql AS $$
    SELECT pg_notify('coachspool_jobs', '')
$$;

-- Queues `kind` work for a source row. If that work is running right now, it is re-run after
-- it completes, so that input that arrived meanwhile (late feedback) is not missed.
CREATE FUNCTION coachspool.enqueue(p_kind text, p_source_id bigint) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO coachspool.jobs (kind, source_id) VALUES (p_kind, p_source_id)
    ON CONFLICT (kind, source_id) DO UPDATE SET rerun = true WHERE jobs.state = 'running'
$$;

-- Logs one exchange; returns its id. Idempotent: the same key (p_id, or the hash of session,
-- time and texts) returns the existing id and changes nothing.
CREATE FUNCTION coachspool.log_interaction(
    p_user_input   text,
    p_ai_response  text,
    p_mode         text DEFAULT 'personal',
    p_session_id   text DEFAULT NULL,
    p_turn_index   integer DEFAULT NULL,
    p_user_id      text DEFAULT NULL,
    p_language     text DEFAULT NULL,
    p_occurred_at  timestamptz DEFAULT now(),
    p_rating       integer DEFAULT NULL,
    p_helpful      boolean DEFAULT NULL,
    p_id           text DEFAULT NULL
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_key text := CASE WHEN p_id IS NOT NULL THEN 'id:' || p_id
                       ELSE coachspool.interaction_key(p_session_id, p_occurred_at, p_user_input, p_ai_response) END;
    v_id bigint;
BEGIN
    INSERT INTO coachspool.interactions
        (idempotency_key, session_id, turn_index, mode, language, user_id, occurred_at, user_input, ai_response)
    VALUES (v_key, p_session_id, p_turn_index, p_mode, p_language, p_user_id, p_occurred_at, p_user_input, p_ai_response)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        SELECT id INTO v_id FROM coachspool.interactions WHERE idempotency_key = v_key;
        RETURN v_id;
    END IF;
    IF p_rating IS NOT NULL OR p_helpful IS NOT NULL THEN
        INSERT INTO coachspool.feedback (interaction_id, rating, helpful) VALUES (v_id, p_rating, p_helpful);
    END IF;
    PERFORM coachspool.enqueue('quality', v_id);
    PERFORM coachspool.wake_workers();
    RETURN v_id;
END
$$;

-- Records feedback on an interaction (several allowed; the latest wins) and has it re-evaluated.
CREATE FUNCTION coachspool.log_feedback(p_interaction_id bigint, p_rating integer, p_helpful boolean DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM coachspool.interactions WHERE id = p_interaction_id) THEN
        RAISE EXCEPTION 'interaction % does not exist', p_interaction_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    INSERT INTO coachspool.feedback (interaction_id, rating, helpful) VALUES (p_interaction_id, p_rating, p_helpful);
    PERFORM coachspool.enqueue('quality', p_interaction_id);
    PERFORM coachspool.wake_workers();
END
$$;

-- Admin views ----------------------------------------------------------------------------------

-- One row: the state of the queue. 'retrying' = ready but waiting for its backoff to pass.
CREATE VIEW coachspool.queue_status AS
SELECT
    count(*) FILTER (WHERE state = 'ready' AND run_at <= now())   AS ready,
    count(*) FILTER (WHERE state = 'running')                     AS running,
    count(*) FILTER (WHERE state = 'ready' AND run_at > now())    AS retrying,
    count(*) FILTER (WHERE state = 'dead')                        AS dead,
    now() - min(run_at) FILTER (WHERE state = 'ready' AND run_at <= now()) AS oldest_ready_age
FROM coachspool.jobs;

-- Per kind, the same counts.
CREATE VIEW coachspool.queue_status_by_kind AS
SELECT kind,
    count(*) FILTER (WHERE state = 'ready' AND run_at <= now())   AS ready,
    count(*) FILTER (WHERE state = 'running')                     AS running,
    count(*) FILTER (WHERE state = 'ready' AND run_at > now())    AS retrying,
    count(*) FILTER (WHERE state = 'dead')                        AS dead
FROM coachspool.jobs GROUP BY kind;

-- Workers that heartbeated in the last minute.
CREATE VIEW coachspool.live_workers AS
SELECT id, host, pid, concurrency, started_at, last_heartbeat, now() - last_heartbeat AS since_heartbeat
FROM coachspool.workers
WHERE stopped_at IS NULL AND last_heartbeat > now() - interval '1 minute';

-- Dead jobs with their last error, for `coachspool jobs retry|discard`.
CREATE VIEW coachspool.dead_jobs AS
SELECT id, kind, source_id, attempt, last_error, created_at
FROM coachspool.jobs WHERE state = 'dead';
