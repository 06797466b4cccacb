-- coachspool schema as of 0023_export_lineage_without_foreign_keys.sql
--
-- The current schema, for fresh installs: what the migrations schema/0001…0023 leave, written by
-- scripts/schema-snapshot.sh from a database migrated file by file (do not edit by hand: add a
-- migration and run the script). MigrationTests holds both ways to the same catalog.

CREATE EXTENSION IF NOT EXISTS vector;

-- Least-privilege roles (schema/0007_roles.sql says what each may do). Roles belong to the
-- cluster: creating them tolerates their existing already.
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

DO $$
BEGIN
    CREATE ROLE coachspool_reviewer NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

-- ==============================================================================================
-- Tables and sequences
-- ==============================================================================================

-- table feedback
CREATE TABLE coachspool.feedback (
    id bigint NOT NULL,
    interaction_id bigint NOT NULL,
    rating smallint,
    helpful boolean,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT feedback_check CHECK (((rating IS NOT NULL) OR (helpful IS NOT NULL))),
    CONSTRAINT feedback_rating_check CHECK (((rating >= 1) AND (rating <= 5)))
);

-- table interactions
CREATE TABLE coachspool.interactions (
    id bigint NOT NULL,
    idempotency_key text NOT NULL COLLATE pg_catalog."C",
    session_id text COLLATE pg_catalog."C",
    turn_index integer,
    mode text NOT NULL,
    language text,
    user_id text COLLATE pg_catalog."C",
    occurred_at timestamp with time zone NOT NULL,
    user_input text NOT NULL,
    ai_response text NOT NULL,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    origin_file text,
    origin_line bigint,
    opening text,
    rating smallint,
    helpful boolean,
    CONSTRAINT interactions_ai_response_check CHECK ((ai_response <> ''::text)),
    CONSTRAINT interactions_check CHECK (((origin_file IS NULL) = (origin_line IS NULL))),
    CONSTRAINT interactions_mode_check CHECK ((mode = ANY (ARRAY['personal'::text, 'university'::text]))),
    CONSTRAINT interactions_rating_check CHECK (((rating >= 1) AND (rating <= 5))),
    CONSTRAINT interactions_turn_index_check CHECK ((turn_index >= 0)),
    CONSTRAINT interactions_user_input_check CHECK ((user_input <> ''::text))
);

-- table eval_runs
CREATE TABLE coachspool.eval_runs (
    id bigint NOT NULL,
    space_id integer,
    mode text,
    parameters jsonb NOT NULL,
    metrics jsonb NOT NULL,
    questions integer NOT NULL,
    question_set_sha256 text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    kind text DEFAULT 'retrieval'::text NOT NULL,
    system text,
    training_run_ids bigint[],
    base_model_config_sha256 text,
    CONSTRAINT eval_runs_kind_check CHECK ((kind = ANY (ARRAY['retrieval'::text, 'answers'::text]))),
    CONSTRAINT eval_runs_kind_fields CHECK (
CASE kind
    WHEN 'retrieval'::text THEN ((space_id IS NOT NULL) AND (mode IS NOT NULL) AND (system IS NULL))
    ELSE ((system IS NOT NULL) AND (training_run_ids IS NOT NULL) AND (base_model_config_sha256 IS NOT NULL))
END),
    CONSTRAINT eval_runs_mode_check CHECK ((mode = ANY (ARRAY['vector'::text, 'text'::text, 'hybrid'::text]))),
    CONSTRAINT eval_runs_questions_check CHECK ((questions > 0))
);

-- table audit_log
CREATE TABLE coachspool.audit_log (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    actor text NOT NULL COLLATE pg_catalog."C",
    action text NOT NULL COLLATE pg_catalog."C",
    target text,
    items bigint,
    CONSTRAINT audit_log_action_check CHECK ((action ~ '^[a-z_.]{1,40}$'::text)),
    CONSTRAINT audit_log_actor_check CHECK ((actor ~ '^[A-Za-z0-9:._-]{1,64}$'::text)),
    CONSTRAINT audit_log_target_check CHECK ((octet_length(target) <= 200))
);

-- sequence audit_log_id_seq
ALTER TABLE coachspool.audit_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME coachspool.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- table chunks
CREATE TABLE coachspool.chunks (
    id bigint NOT NULL,
    space_id integer NOT NULL,
    document_id bigint NOT NULL,
    content_hash bytea NOT NULL,
    ordinal integer NOT NULL,
    body text NOT NULL,
    start_offset integer NOT NULL,
    tokens integer,
    embedding public.vector NOT NULL,
    worker text NOT NULL,
    embedded_at timestamp with time zone DEFAULT now() NOT NULL,
    tsv tsvector
);

-- sequence chunks_id_seq
ALTER TABLE coachspool.chunks ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME coachspool.chunks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- table consents
CREATE TABLE coachspool.consents (
    user_id text NOT NULL COLLATE pg_catalog."C",
    purpose text NOT NULL,
    granted boolean NOT NULL,
    source text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT consents_purpose_check CHECK ((purpose = ANY (ARRAY['training'::text, 'retrieval'::text])))
);

-- table conversation_builds
CREATE TABLE coachspool.conversation_builds (
    conversation_id bigint NOT NULL,
    version text NOT NULL COLLATE pg_catalog."C",
    input_hash bytea NOT NULL,
    interactions integer NOT NULL,
    mode text,
    language text,
    first_at timestamp with time zone,
    last_at timestamp with time zone,
    worker text NOT NULL,
    built_at timestamp with time zone DEFAULT now() NOT NULL
);

-- table conversations
CREATE TABLE coachspool.conversations (
    id bigint NOT NULL,
    key text NOT NULL COLLATE pg_catalog."C",
    session_id text COLLATE pg_catalog."C",
    interaction_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT conversations_check CHECK (((session_id IS NULL) <> (interaction_id IS NULL)))
);

-- sequence conversations_id_seq
ALTER TABLE coachspool.conversations ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME coachspool.conversations_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- table examples
CREATE TABLE coachspool.examples (
    conversation_id bigint NOT NULL,
    version text NOT NULL COLLATE pg_catalog."C",
    messages jsonb NOT NULL,
    turns integer NOT NULL,
    trained_turns integer NOT NULL,
    tokens integer NOT NULL,
    content_hash bytea NOT NULL,
    branch bigint DEFAULT 0 NOT NULL
);

-- table jobs
CREATE TABLE coachspool.jobs (
    id bigint NOT NULL,
    kind text NOT NULL COLLATE pg_catalog."C",
    source_id bigint NOT NULL,
    state text DEFAULT 'ready'::text NOT NULL,
    run_at timestamp with time zone DEFAULT now() NOT NULL,
    attempt integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 5 NOT NULL,
    lease_owner text COLLATE pg_catalog."C",
    lease_expires_at timestamp with time zone,
    rerun boolean DEFAULT false NOT NULL,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT jobs_check CHECK (((state = 'running'::text) = (lease_owner IS NOT NULL))),
    CONSTRAINT jobs_kind_declared CHECK (((kind = ANY (ARRAY['interaction'::text, 'interaction_batch'::text, 'conversation'::text, 'noop'::text])) OR (kind ~ '^(embed|memory):[1-9][0-9]{0,9}$'::text))),
    CONSTRAINT jobs_state_check CHECK ((state = ANY (ARRAY['ready'::text, 'running'::text, 'dead'::text])))
)
WITH (fillfactor='80');

-- table documents
CREATE TABLE coachspool.documents (
    id bigint NOT NULL,
    external_id text NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    source text,
    language text,
    content_hash bytea NOT NULL,
    revision integer DEFAULT 1 NOT NULL,
    origin text NOT NULL,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    detected_language text,
    CONSTRAINT documents_body_check CHECK ((body ~ '[^[:space:]]'::text))
);

-- sequence documents_id_seq
ALTER TABLE coachspool.documents ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME coachspool.documents_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- table embedding_spaces
CREATE TABLE coachspool.embedding_spaces (
    id integer NOT NULL,
    embedder text NOT NULL,
    model text NOT NULL,
    dimensions integer NOT NULL,
    chunk_unit text NOT NULL,
    chunk_size integer NOT NULL,
    chunk_overlap integer NOT NULL,
    is_active boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    activated_at timestamp with time zone,
    index_state text DEFAULT 'ready'::text NOT NULL,
    index_built_at timestamp with time zone,
    index_build_seconds double precision,
    CONSTRAINT embedding_spaces_check CHECK (((chunk_overlap >= 0) AND (chunk_overlap < chunk_size))),
    CONSTRAINT embedding_spaces_chunk_size_check CHECK ((chunk_size > 0)),
    CONSTRAINT embedding_spaces_chunk_unit_check CHECK ((chunk_unit = ANY (ARRAY['chars'::text, 'tokens'::text]))),
    CONSTRAINT embedding_spaces_dimensions_check CHECK (((dimensions >= 1) AND (dimensions <= 16000))),
    CONSTRAINT embedding_spaces_index_state_check CHECK ((index_state = ANY (ARRAY['deferred'::text, 'ready'::text])))
);

-- sequence embedding_spaces_id_seq
ALTER TABLE coachspool.embedding_spaces ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME coachspool.embedding_spaces_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- sequence eval_runs_id_seq
ALTER TABLE coachspool.eval_runs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME coachspool.eval_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- table export_conversations
CREATE TABLE coachspool.export_conversations (
    export_id bigint NOT NULL,
    conversation_id bigint NOT NULL
);

-- table exports
CREATE TABLE coachspool.exports (
    id bigint NOT NULL,
    format text NOT NULL,
    pipeline_version text NOT NULL,
    out_dir text NOT NULL,
    host text NOT NULL,
    train_examples integer NOT NULL,
    validation_examples integer NOT NULL,
    conversations integer NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    contains_erased_data boolean DEFAULT false NOT NULL
);

-- sequence exports_id_seq
ALTER TABLE coachspool.exports ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME coachspool.exports_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- table feedback_examples
CREATE TABLE coachspool.feedback_examples (
    conversation_id bigint NOT NULL,
    version text NOT NULL COLLATE pg_catalog."C",
    interaction_id bigint NOT NULL,
    prompt jsonb NOT NULL,
    completion text NOT NULL,
    label boolean NOT NULL,
    tokens integer NOT NULL,
    content_hash bytea NOT NULL,
    from_review boolean DEFAULT false NOT NULL
);

-- sequence feedback_id_seq
ALTER TABLE coachspool.feedback ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME coachspool.feedback_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- table workers
CREATE TABLE coachspool.workers (
    id text NOT NULL,
    host text NOT NULL,
    pid integer NOT NULL,
    concurrency integer NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    last_heartbeat timestamp with time zone DEFAULT now() NOT NULL,
    stopped_at timestamp with time zone,
    lease_seconds double precision DEFAULT 30 NOT NULL,
    held jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT workers_held_check CHECK ((jsonb_typeof(held) = 'object'::text))
);

-- table interaction_batches
CREATE TABLE coachspool.interaction_batches (
    id bigint NOT NULL,
    interaction_ids bigint[] NOT NULL,
    CONSTRAINT interaction_batches_interaction_ids_check CHECK (((cardinality(interaction_ids) >= 1) AND (cardinality(interaction_ids) <= 1000)))
);

-- sequence interaction_batches_id_seq
ALTER TABLE coachspool.interaction_batches ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME coachspool.interaction_batches_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- table interaction_texts
CREATE TABLE coachspool.interaction_texts (
    interaction_id bigint NOT NULL,
    text_version text NOT NULL COLLATE pg_catalog."C",
    user_input text NOT NULL,
    ai_response text NOT NULL,
    entity_counts jsonb NOT NULL,
    entities integer NOT NULL,
    user_input_tokens integer NOT NULL,
    ai_response_tokens integer NOT NULL,
    worker text NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL,
    opening text
);

-- sequence interactions_id_seq
ALTER TABLE coachspool.interactions ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME coachspool.interactions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- sequence jobs_id_seq
ALTER TABLE coachspool.jobs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME coachspool.jobs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- table memories
CREATE TABLE coachspool.memories (
    space_id integer NOT NULL,
    interaction_id bigint NOT NULL,
    user_id text NOT NULL COLLATE pg_catalog."C",
    occurred_at timestamp with time zone NOT NULL,
    body text NOT NULL,
    text_version text NOT NULL,
    rating smallint,
    tokens integer,
    embedding public.vector NOT NULL,
    worker text NOT NULL,
    embedded_at timestamp with time zone DEFAULT now() NOT NULL
);

-- table quality_verdicts
CREATE TABLE coachspool.quality_verdicts (
    interaction_id bigint NOT NULL,
    pipeline_version text NOT NULL COLLATE pg_catalog."C",
    accepted boolean NOT NULL,
    reasons text[] NOT NULL,
    rating smallint,
    worker text NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);

-- table preference_pairs
CREATE TABLE coachspool.preference_pairs (
    conversation_id bigint NOT NULL,
    version text NOT NULL COLLATE pg_catalog."C",
    turn_index integer NOT NULL,
    input jsonb NOT NULL,
    preferred text NOT NULL,
    non_preferred text NOT NULL,
    preferred_interaction bigint NOT NULL,
    non_preferred_interaction bigint NOT NULL,
    tokens integer NOT NULL,
    content_hash bytea NOT NULL,
    from_review boolean DEFAULT false NOT NULL
);

-- table review_leases
CREATE TABLE coachspool.review_leases (
    interaction_id bigint NOT NULL,
    reviewer text NOT NULL COLLATE pg_catalog."C",
    expires_at timestamp with time zone NOT NULL
);

-- table review_settings
CREATE TABLE coachspool.review_settings (
    singleton boolean DEFAULT true NOT NULL,
    sample_per_mille integer DEFAULT 50 NOT NULL,
    lease_seconds integer DEFAULT 900 NOT NULL,
    CONSTRAINT review_settings_lease_seconds_check CHECK (((lease_seconds >= 10) AND (lease_seconds <= 86400))),
    CONSTRAINT review_settings_sample_per_mille_check CHECK (((sample_per_mille >= 0) AND (sample_per_mille <= 1000))),
    CONSTRAINT review_settings_singleton_check CHECK (singleton)
);

-- table reviews
CREATE TABLE coachspool.reviews (
    id bigint NOT NULL,
    interaction_id bigint NOT NULL,
    decision text NOT NULL,
    corrected_answer text,
    reason text,
    reviewer text NOT NULL COLLATE pg_catalog."C",
    decided_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT reviews_check CHECK (((decision = 'correct'::text) = (corrected_answer IS NOT NULL))),
    CONSTRAINT reviews_corrected_answer_check CHECK (((octet_length(corrected_answer) <= 32768) AND (corrected_answer ~ '[^[:space:]]'::text))),
    CONSTRAINT reviews_decision_check CHECK ((decision = ANY (ARRAY['approve'::text, 'reject'::text, 'correct'::text]))),
    CONSTRAINT reviews_reason_check CHECK ((octet_length(reason) <= 1000)),
    CONSTRAINT reviews_reviewer_check CHECK ((reviewer ~ '^[A-Za-z0-9:._-]{1,64}$'::text))
);

-- sequence reviews_id_seq
ALTER TABLE coachspool.reviews ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME coachspool.reviews_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- table training_run_conversations
CREATE TABLE coachspool.training_run_conversations (
    run_id bigint NOT NULL,
    conversation_id bigint NOT NULL
);

-- table training_runs
CREATE TABLE coachspool.training_runs (
    id bigint NOT NULL,
    method text NOT NULL,
    base_model text NOT NULL,
    base_model_config_sha256 text NOT NULL,
    hyperparameters jsonb NOT NULL,
    dataset_format text NOT NULL,
    pipeline_version text,
    manifest_sha256 text NOT NULL,
    files_sha256 jsonb NOT NULL,
    status text DEFAULT 'running'::text NOT NULL,
    metrics jsonb,
    error text,
    out_dir text NOT NULL,
    adapter_path text,
    adapter_sha256 text,
    host text NOT NULL,
    pid integer NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    contains_erased_data boolean DEFAULT false NOT NULL,
    CONSTRAINT training_runs_check CHECK (((status = 'running'::text) = (finished_at IS NULL))),
    CONSTRAINT training_runs_method_check CHECK ((method = ANY (ARRAY['sft'::text, 'dpo'::text, 'kto'::text]))),
    CONSTRAINT training_runs_status_check CHECK ((status = ANY (ARRAY['running'::text, 'succeeded'::text, 'failed'::text, 'interrupted'::text])))
);

-- table training_run_validation_conversations
CREATE TABLE coachspool.training_run_validation_conversations (
    run_id bigint NOT NULL,
    conversation_id bigint NOT NULL
);

-- sequence training_runs_id_seq
ALTER TABLE coachspool.training_runs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME coachspool.training_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- ==============================================================================================
-- Functions (each defined in schema/functions/, put here by the Migrator)
-- ==============================================================================================

-- function build_space_index(integer)
-- function: build_space_index.sql

-- function check_text_limit(text, text, integer, boolean)
-- function: check_text_limit.sql

-- function conversation_key(text, text)
-- function: conversation_key.sql

-- function defer_space_index(integer, integer)
-- function: defer_space_index.sql

-- function document_language(text, text)
-- function: document_language.sql

-- function embedding_space(integer)
-- function: embedding_space.sql

-- function enqueue(text, bigint)
-- function: enqueue.sql

-- function erase_user(text)
-- function: erase_user.sql

-- function exports_of_user(text)
-- function: exports_of_user.sql

-- function flag_lineage_on_erasure()
-- function: flag_lineage_on_erasure.sql

-- function interaction_key(text, timestamp with time zone, text, text)
-- function: interaction_key.sql

-- function log_feedback(bigint, integer, boolean)
-- function: log_feedback.sql

-- function log_interaction(text, text, text, text, integer, text, text, timestamp with time zone, integer, boolean, text)
-- function: log_interaction.sql

-- function memories_of_changed_consents()
-- function: memories_of_changed_consents.sql

-- function question_tsquery(text)
-- function: question_tsquery.sql

-- function reap_training_runs()
-- function: reap_training_runs.sql

-- function recall(text, public.vector, integer, integer)
-- function: recall.sql

-- function register_space(text, text, integer, text, integer, integer)
-- function: register_space.sql

-- function requeue_conversations_of_changed_consents()
-- function: requeue_conversations_of_changed_consents.sql

-- function resolve_space(integer)
-- function: resolve_space.sql

-- function review_decide(bigint, text, text, text, text)
-- function: review_decide.sql

-- function review_next(text, text, text)
-- function: review_next.sql

-- function search(public.vector, integer, integer)
-- function: search.sql

-- function search_conversations(public.vector, integer, integer, integer)
-- function: search_conversations.sql

-- function search_hybrid(text, public.vector, integer, integer, text, text, integer, double precision, double precision, integer)
-- function: search_hybrid.sql

-- function search_text(text, integer, integer, text, text)
-- function: search_text.sql

-- function search_vector(public.vector, integer, integer, text, text)
-- function: search_vector.sql

-- function set_consent(text, text, boolean, text)
-- function: set_consent.sql

-- function space_index_ddl(integer, boolean)
-- function: space_index_ddl.sql

-- function space_index_plan(integer, integer)
-- function: space_index_plan.sql

-- function text_config(text)
-- function: text_config.sql

-- function text_index_chunks()
-- function: text_index_chunks.sql

-- function text_index_documents()
-- function: text_index_documents.sql

-- function training_runs_of_user(text)
-- function: training_runs_of_user.sql

-- function upsert_document(text, text, text, text, text, text)
-- function: upsert_document.sql

-- function wake_workers()
-- function: wake_workers.sql

-- ==============================================================================================
-- Views
-- ==============================================================================================

-- view all_feedback
CREATE VIEW coachspool.all_feedback AS
 SELECT i.id AS interaction_id,
    NULL::bigint AS feedback_id,
    i.rating,
    i.helpful,
    i.received_at
   FROM coachspool.interactions i
  WHERE ((i.rating IS NOT NULL) OR (i.helpful IS NOT NULL))
UNION ALL
 SELECT f.interaction_id,
    f.id AS feedback_id,
    f.rating,
    f.helpful,
    f.received_at
   FROM coachspool.feedback f;

-- view answer_eval_history
CREATE VIEW coachspool.answer_eval_history AS
 SELECT id,
    created_at,
    question_set_sha256,
    questions,
    system,
    training_run_ids,
    ((metrics ->> 'loss'::text))::double precision AS loss,
    ((metrics ->> 'perplexity'::text))::double precision AS perplexity,
    ((metrics ->> 'cosine'::text))::double precision AS cosine,
    ((metrics ->> 'chrf'::text))::double precision AS chrf,
    ((metrics ->> 'win_rate'::text))::double precision AS win_rate,
    ((metrics ->> 'prompt_tokens_mean'::text))::double precision AS prompt_tokens_mean,
    ((metrics ->> 'seconds_per_answer'::text))::double precision AS seconds_per_answer,
    parameters,
    metrics
   FROM coachspool.eval_runs r
  WHERE (kind = 'answers'::text)
  ORDER BY created_at DESC, id DESC;

-- view consent_coverage
CREATE VIEW coachspool.consent_coverage AS
 SELECT p.purpose,
    count(DISTINCT i.user_id) AS users_with_interactions,
    count(DISTINCT i.user_id) FILTER (WHERE c.granted) AS users_granted,
    count(*) FILTER (WHERE c.granted) AS interactions_usable,
    count(*) AS interactions_with_user
   FROM ((coachspool.interactions i
     CROSS JOIN ( VALUES ('training'::text), ('retrieval'::text)) p(purpose))
     LEFT JOIN coachspool.consents c ON (((c.user_id = i.user_id) AND (c.purpose = p.purpose))))
  WHERE (i.user_id IS NOT NULL)
  GROUP BY p.purpose;

-- view dataset_overview
CREATE VIEW coachspool.dataset_overview AS
 SELECT version,
    mode,
    language,
    (date_trunc('week'::text, last_at))::date AS week,
    count(*) AS examples,
    count(*) FILTER (WHERE (key <> first_key)) AS duplicates,
    sum(tokens) AS tokens,
    sum(trained_turns) AS trained_turns,
    round(avg(tokens)) AS avg_tokens,
    max(tokens) AS max_tokens
   FROM ( SELECT e.version,
            b.mode,
            b.language,
            b.last_at,
            e.tokens,
            e.trained_turns,
            c.key,
            min(c.key) OVER (PARTITION BY e.version, e.content_hash) AS first_key
           FROM ((coachspool.examples e
             JOIN coachspool.conversation_builds b USING (conversation_id, version))
             JOIN coachspool.conversations c ON ((c.id = e.conversation_id)))) x
  GROUP BY version, mode, language, ((date_trunc('week'::text, last_at))::date);

-- view dead_jobs
CREATE VIEW coachspool.dead_jobs AS
 SELECT id,
    kind,
    source_id,
    attempt,
    last_error,
    created_at
   FROM coachspool.jobs
  WHERE (state = 'dead'::text);

-- view embedding_space_status
CREATE VIEW coachspool.embedding_space_status AS
 SELECT id,
    embedder,
    model,
    dimensions,
    chunk_unit,
    chunk_size,
    chunk_overlap,
    is_active,
    ( SELECT count(*) AS count
           FROM coachspool.documents) AS documents,
    ( SELECT count(*) AS count
           FROM coachspool.documents d
          WHERE (EXISTS ( SELECT 1
                   FROM coachspool.chunks c
                  WHERE ((c.space_id = s.id) AND (c.document_id = d.id) AND (c.content_hash = d.content_hash))))) AS documents_current,
    ( SELECT count(*) AS count
           FROM coachspool.chunks c
          WHERE (c.space_id = s.id)) AS chunks,
    created_at,
    activated_at
   FROM coachspool.embedding_spaces s;

-- view eval_history
CREATE VIEW coachspool.eval_history AS
 SELECT r.id,
    r.created_at,
    r.question_set_sha256,
    r.questions,
    r.space_id,
    s.embedder,
    s.model,
    ((((s.chunk_unit || ' '::text) || s.chunk_size) || '/'::text) || s.chunk_overlap) AS chunker,
    r.mode,
    ((r.metrics ->> 'ndcg@10'::text))::double precision AS ndcg_10,
    ((r.metrics ->> 'recall@1'::text))::double precision AS recall_1,
    ((r.metrics ->> 'recall@3'::text))::double precision AS recall_3,
    ((r.metrics ->> 'recall@5'::text))::double precision AS recall_5,
    ((r.metrics ->> 'recall@10'::text))::double precision AS recall_10,
    ((r.metrics ->> 'mrr@10'::text))::double precision AS mrr_10,
    ((r.metrics ->> 'map@10'::text))::double precision AS map_10,
    r.parameters
   FROM (coachspool.eval_runs r
     JOIN coachspool.embedding_spaces s ON ((s.id = r.space_id)))
  ORDER BY r.created_at DESC, r.id DESC;

-- view export_overview
CREATE VIEW coachspool.export_overview AS
 SELECT id,
    created_at,
    format,
    pipeline_version,
    train_examples,
    validation_examples,
    conversations,
    host,
    out_dir,
    contains_erased_data
   FROM coachspool.exports e
  ORDER BY id DESC;

-- view gone_workers
CREATE VIEW coachspool.gone_workers AS
 SELECT id,
    host,
    pid,
    concurrency,
    started_at,
    last_heartbeat,
    (now() - last_heartbeat) AS since_heartbeat,
    stopped_at
   FROM coachspool.workers
  WHERE ((stopped_at IS NOT NULL) OR (last_heartbeat <= (now() - make_interval(secs => lease_seconds))));

-- view latest_feedback
CREATE VIEW coachspool.latest_feedback AS
 SELECT DISTINCT ON (interaction_id) interaction_id,
    rating,
    helpful,
    received_at
   FROM coachspool.all_feedback
  ORDER BY interaction_id, feedback_id DESC NULLS LAST;

-- view live_workers
CREATE VIEW coachspool.live_workers AS
 SELECT id,
    host,
    pid,
    concurrency,
    started_at,
    last_heartbeat,
    (now() - last_heartbeat) AS since_heartbeat
   FROM coachspool.workers
  WHERE ((stopped_at IS NULL) AND (last_heartbeat > (now() - make_interval(secs => lease_seconds))));

-- view queue_status_by_kind
CREATE VIEW coachspool.queue_status_by_kind AS
 SELECT kind,
    count(*) FILTER (WHERE ((state = 'ready'::text) AND (run_at <= now()))) AS ready,
    count(*) FILTER (WHERE (state = 'running'::text)) AS running,
    count(*) FILTER (WHERE ((state = 'ready'::text) AND (run_at > now()))) AS retrying,
    count(*) FILTER (WHERE (state = 'dead'::text)) AS dead
   FROM coachspool.jobs
  GROUP BY kind;

-- view pipeline_progress
CREATE VIEW coachspool.pipeline_progress AS
 WITH stages(stage, total, done) AS (
         SELECT 'interaction'::text AS "?column?",
            ( SELECT count(*) AS count
                   FROM coachspool.interactions) AS count,
            ( SELECT count(DISTINCT quality_verdicts.interaction_id) AS count
                   FROM coachspool.quality_verdicts) AS count
        UNION ALL
         SELECT 'conversation'::text,
            ( SELECT count(*) AS count
                   FROM coachspool.conversations) AS count,
            ( SELECT count(DISTINCT conversation_builds.conversation_id) AS count
                   FROM coachspool.conversation_builds) AS count
        UNION ALL
         SELECT ('embed:'::text || embedding_space_status.id),
            embedding_space_status.documents,
            embedding_space_status.documents_current
           FROM coachspool.embedding_space_status
        )
 SELECT s.stage,
    s.total,
    s.done,
    COALESCE(q.ready, (0)::bigint) AS ready,
    COALESCE(q.running, (0)::bigint) AS running,
    COALESCE(q.retrying, (0)::bigint) AS retrying,
    COALESCE(q.dead, (0)::bigint) AS dead
   FROM (stages s
     LEFT JOIN coachspool.queue_status_by_kind q ON ((q.kind = s.stage)));

-- view preference_overview
CREATE VIEW coachspool.preference_overview AS
 SELECT 'dpo'::text AS kind,
    p.version,
    b.mode,
    count(*) AS examples,
    sum(p.tokens) AS tokens
   FROM (coachspool.preference_pairs p
     JOIN coachspool.conversation_builds b USING (conversation_id, version))
  GROUP BY p.version, b.mode
UNION ALL
 SELECT 'kto'::text AS kind,
    f.version,
    b.mode,
    count(*) AS examples,
    sum(f.tokens) AS tokens
   FROM (coachspool.feedback_examples f
     JOIN coachspool.conversation_builds b USING (conversation_id, version))
  GROUP BY f.version, b.mode;

-- view prepared_interactions
CREATE VIEW coachspool.prepared_interactions AS
 SELECT i.id,
    i.session_id,
    i.turn_index,
    i.mode,
    i.language,
    i.occurred_at,
    v.accepted,
    v.reasons,
    v.rating,
    v.pipeline_version AS quality_version,
    t.user_input,
    t.ai_response,
    t.entity_counts,
    t.entities,
    t.user_input_tokens,
    t.ai_response_tokens,
    t.text_version
   FROM ((coachspool.interactions i
     LEFT JOIN LATERAL ( SELECT q.interaction_id,
            q.pipeline_version,
            q.accepted,
            q.reasons,
            q.rating,
            q.worker,
            q.processed_at
           FROM coachspool.quality_verdicts q
          WHERE (q.interaction_id = i.id)
          ORDER BY q.processed_at DESC
         LIMIT 1) v ON (true))
     LEFT JOIN LATERAL ( SELECT x.interaction_id,
            x.text_version,
            x.user_input,
            x.ai_response,
            x.entity_counts,
            x.entities,
            x.user_input_tokens,
            x.ai_response_tokens,
            x.worker,
            x.processed_at
           FROM coachspool.interaction_texts x
          WHERE (x.interaction_id = i.id)
          ORDER BY x.processed_at DESC
         LIMIT 1) t ON (true));

-- view quality_rejections
CREATE VIEW coachspool.quality_rejections AS
 SELECT v.pipeline_version,
    r.reason,
    count(*) AS interactions
   FROM coachspool.quality_verdicts v,
    LATERAL unnest(v.reasons) r(reason)
  WHERE (NOT v.accepted)
  GROUP BY v.pipeline_version, r.reason;

-- view queue_status
CREATE VIEW coachspool.queue_status AS
 SELECT count(*) FILTER (WHERE ((state = 'ready'::text) AND (run_at <= now()))) AS ready,
    count(*) FILTER (WHERE (state = 'running'::text)) AS running,
    count(*) FILTER (WHERE ((state = 'ready'::text) AND (run_at > now()))) AS retrying,
    count(*) FILTER (WHERE (state = 'dead'::text)) AS dead,
    (now() - min(run_at) FILTER (WHERE ((state = 'ready'::text) AND (run_at <= now())))) AS oldest_ready_age
   FROM coachspool.jobs;

-- view redaction_summary
CREATE VIEW coachspool.redaction_summary AS
 SELECT t.text_version,
    e.key AS type,
    sum((e.value)::integer) AS entities,
    count(*) AS interactions
   FROM coachspool.interaction_texts t,
    LATERAL jsonb_each_text(t.entity_counts) e(key, value)
  GROUP BY t.text_version, e.key;

-- view review_queue
CREATE VIEW coachspool.review_queue AS
 SELECT i.id AS interaction_id,
    i.mode,
    i.language,
    i.occurred_at,
    t.user_input,
    t.ai_response,
    v.rating,
    f.helpful,
        CASE
            WHEN ('rating_below_minimum'::text = ANY (v.reasons)) THEN 'low_rating'::text
            WHEN (f.helpful = false) THEN 'not_helpful'::text
            ELSE 'sample'::text
        END AS why,
    v.reasons,
    COALESCE(( SELECT jsonb_agg(jsonb_build_object('user', e.user_input, 'assistant', e.ai_response) ORDER BY COALESCE(e.turn_index, 0), e.occurred_at, e.id) AS jsonb_agg
           FROM ( SELECT p.id,
                    p.turn_index,
                    p.occurred_at,
                    pt.user_input,
                    pt.ai_response
                   FROM (coachspool.interactions p
                     JOIN LATERAL ( SELECT x.user_input,
                            x.ai_response
                           FROM coachspool.interaction_texts x
                          WHERE (x.interaction_id = p.id)
                          ORDER BY x.processed_at DESC
                         LIMIT 1) pt ON (true))
                  WHERE ((i.session_id IS NOT NULL) AND (p.session_id = i.session_id) AND (p.id <> i.id) AND (ROW(COALESCE(p.turn_index, 0), p.occurred_at, p.id) < ROW(COALESCE(i.turn_index, 0), i.occurred_at, i.id)))
                  ORDER BY COALESCE(p.turn_index, 0) DESC, p.occurred_at DESC, p.id DESC
                 LIMIT 10) e), '[]'::jsonb) AS context,
    l.expires_at AS leased_until
   FROM (((((coachspool.interactions i
     JOIN LATERAL ( SELECT x.user_input,
            x.ai_response
           FROM coachspool.interaction_texts x
          WHERE (x.interaction_id = i.id)
          ORDER BY x.processed_at DESC
         LIMIT 1) t ON (true))
     JOIN LATERAL ( SELECT x.accepted,
            x.reasons,
            x.rating
           FROM coachspool.quality_verdicts x
          WHERE (x.interaction_id = i.id)
          ORDER BY x.processed_at DESC
         LIMIT 1) v ON (true))
     LEFT JOIN LATERAL ( SELECT COALESCE(( SELECT x.helpful
                   FROM coachspool.feedback x
                  WHERE ((x.interaction_id = i.id) AND (x.helpful IS NOT NULL))
                  ORDER BY x.id DESC
                 LIMIT 1), i.helpful) AS helpful) f ON (true))
     LEFT JOIN coachspool.review_leases l ON (((l.interaction_id = i.id) AND (l.expires_at > now()))))
     LEFT JOIN coachspool.review_settings s ON (true))
  WHERE ((EXISTS ( SELECT 1
           FROM coachspool.consents k
          WHERE ((k.user_id = i.user_id) AND (k.purpose = 'training'::text) AND k.granted))) AND (NOT (EXISTS ( SELECT 1
           FROM coachspool.reviews r
          WHERE (r.interaction_id = i.id)))) AND (('rating_below_minimum'::text = ANY (v.reasons)) OR (f.helpful = false) OR (v.accepted AND (mod(((hashint8(i.id))::bigint + '2147483648'::bigint), (1000)::bigint) < COALESCE(s.sample_per_mille, 50)))));

-- view running_by_heartbeat
CREATE VIEW coachspool.running_by_heartbeat AS
 SELECT h.key AS kind,
    (sum((h.value)::bigint))::bigint AS running,
    max((now() - w.last_heartbeat)) AS oldest_heartbeat
   FROM coachspool.workers w,
    LATERAL jsonb_each_text(w.held) h(key, value)
  WHERE ((w.stopped_at IS NULL) AND (w.last_heartbeat > (now() - make_interval(secs => w.lease_seconds))))
  GROUP BY h.key;

-- view space_indexes
CREATE VIEW coachspool.space_indexes AS
 SELECT s.id AS space_id,
    s.index_state,
    ( SELECT count(*) AS count
           FROM coachspool.jobs j
          WHERE ((j.kind = ('embed:'::text || s.id)) AND (j.state <> 'dead'::text))) AS pending_documents,
    ( SELECT count(*) AS count
           FROM coachspool.chunks c
          WHERE (c.space_id = s.id)) AS vectors,
    ('chunks_hnsw_space_'::text || s.id) AS index_name,
    i.indisvalid AS index_valid,
    s.index_built_at,
    s.index_build_seconds
   FROM (coachspool.embedding_spaces s
     LEFT JOIN pg_index i ON ((i.indexrelid = (to_regclass(('coachspool.chunks_hnsw_space_'::text || s.id)))::oid)));

-- view training_run_overview
CREATE VIEW coachspool.training_run_overview AS
 SELECT id,
    status,
    method,
    base_model,
    dataset_format,
    pipeline_version,
    ((metrics ->> 'baseline_eval_loss'::text))::double precision AS baseline_eval_loss,
    ((metrics ->> 'eval_loss'::text))::double precision AS eval_loss,
    ( SELECT count(*) AS count
           FROM coachspool.training_run_conversations l
          WHERE (l.run_id = r.id)) AS train_conversations,
    contains_erased_data,
    started_at,
    finished_at,
    (finished_at - started_at) AS duration,
    host,
    adapter_path
   FROM coachspool.training_runs r
  ORDER BY id DESC;

-- ==============================================================================================
-- Keys, constraints and indexes
-- ==============================================================================================

-- constraint audit_log audit_log_pkey
ALTER TABLE ONLY coachspool.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);

-- constraint chunks chunks_pkey
ALTER TABLE ONLY coachspool.chunks
    ADD CONSTRAINT chunks_pkey PRIMARY KEY (id);

-- constraint chunks chunks_space_id_document_id_ordinal_key
ALTER TABLE ONLY coachspool.chunks
    ADD CONSTRAINT chunks_space_id_document_id_ordinal_key UNIQUE (space_id, document_id, ordinal);

-- constraint consents consents_pkey
ALTER TABLE ONLY coachspool.consents
    ADD CONSTRAINT consents_pkey PRIMARY KEY (user_id, purpose);

-- constraint conversation_builds conversation_builds_pkey
ALTER TABLE ONLY coachspool.conversation_builds
    ADD CONSTRAINT conversation_builds_pkey PRIMARY KEY (conversation_id, version);

-- constraint conversations conversations_key_key
ALTER TABLE ONLY coachspool.conversations
    ADD CONSTRAINT conversations_key_key UNIQUE (key);

-- constraint conversations conversations_pkey
ALTER TABLE ONLY coachspool.conversations
    ADD CONSTRAINT conversations_pkey PRIMARY KEY (id);

-- constraint documents documents_external_id_key
ALTER TABLE ONLY coachspool.documents
    ADD CONSTRAINT documents_external_id_key UNIQUE (external_id);

-- constraint documents documents_pkey
ALTER TABLE ONLY coachspool.documents
    ADD CONSTRAINT documents_pkey PRIMARY KEY (id);

-- constraint embedding_spaces embedding_spaces_embedder_model_dimensions_chunk_unit_chunk_key
ALTER TABLE ONLY coachspool.embedding_spaces
    ADD CONSTRAINT embedding_spaces_embedder_model_dimensions_chunk_unit_chunk_key UNIQUE (embedder, model, dimensions, chunk_unit, chunk_size, chunk_overlap);

-- constraint embedding_spaces embedding_spaces_pkey
ALTER TABLE ONLY coachspool.embedding_spaces
    ADD CONSTRAINT embedding_spaces_pkey PRIMARY KEY (id);

-- constraint eval_runs eval_runs_pkey
ALTER TABLE ONLY coachspool.eval_runs
    ADD CONSTRAINT eval_runs_pkey PRIMARY KEY (id);

-- constraint examples examples_pkey
ALTER TABLE ONLY coachspool.examples
    ADD CONSTRAINT examples_pkey PRIMARY KEY (conversation_id, version, branch);

-- constraint export_conversations export_conversations_pkey
ALTER TABLE ONLY coachspool.export_conversations
    ADD CONSTRAINT export_conversations_pkey PRIMARY KEY (export_id, conversation_id);

-- constraint exports exports_pkey
ALTER TABLE ONLY coachspool.exports
    ADD CONSTRAINT exports_pkey PRIMARY KEY (id);

-- constraint feedback_examples feedback_examples_pkey
ALTER TABLE ONLY coachspool.feedback_examples
    ADD CONSTRAINT feedback_examples_pkey PRIMARY KEY (conversation_id, version, interaction_id, label);

-- constraint feedback feedback_pkey
ALTER TABLE ONLY coachspool.feedback
    ADD CONSTRAINT feedback_pkey PRIMARY KEY (id);

-- constraint interaction_batches interaction_batches_pkey
ALTER TABLE ONLY coachspool.interaction_batches
    ADD CONSTRAINT interaction_batches_pkey PRIMARY KEY (id);

-- constraint interaction_texts interaction_texts_pkey
ALTER TABLE ONLY coachspool.interaction_texts
    ADD CONSTRAINT interaction_texts_pkey PRIMARY KEY (interaction_id, text_version);

-- constraint interactions interactions_idempotency_key_key
ALTER TABLE ONLY coachspool.interactions
    ADD CONSTRAINT interactions_idempotency_key_key UNIQUE (idempotency_key);

-- constraint interactions interactions_pkey
ALTER TABLE ONLY coachspool.interactions
    ADD CONSTRAINT interactions_pkey PRIMARY KEY (id);

-- constraint jobs jobs_kind_source_id_key
ALTER TABLE ONLY coachspool.jobs
    ADD CONSTRAINT jobs_kind_source_id_key UNIQUE (kind, source_id);

-- constraint jobs jobs_pkey
ALTER TABLE ONLY coachspool.jobs
    ADD CONSTRAINT jobs_pkey PRIMARY KEY (id);

-- constraint memories memories_pkey
ALTER TABLE ONLY coachspool.memories
    ADD CONSTRAINT memories_pkey PRIMARY KEY (space_id, interaction_id);

-- constraint preference_pairs preference_pairs_pkey
ALTER TABLE ONLY coachspool.preference_pairs
    ADD CONSTRAINT preference_pairs_pkey PRIMARY KEY (conversation_id, version, turn_index, non_preferred_interaction);

-- constraint quality_verdicts quality_verdicts_pkey
ALTER TABLE ONLY coachspool.quality_verdicts
    ADD CONSTRAINT quality_verdicts_pkey PRIMARY KEY (interaction_id, pipeline_version);

-- constraint review_leases review_leases_pkey
ALTER TABLE ONLY coachspool.review_leases
    ADD CONSTRAINT review_leases_pkey PRIMARY KEY (interaction_id);

-- constraint review_settings review_settings_pkey
ALTER TABLE ONLY coachspool.review_settings
    ADD CONSTRAINT review_settings_pkey PRIMARY KEY (singleton);

-- constraint reviews reviews_pkey
ALTER TABLE ONLY coachspool.reviews
    ADD CONSTRAINT reviews_pkey PRIMARY KEY (id);

-- constraint training_run_conversations training_run_conversations_pkey
ALTER TABLE ONLY coachspool.training_run_conversations
    ADD CONSTRAINT training_run_conversations_pkey PRIMARY KEY (run_id, conversation_id);

-- constraint training_run_validation_conversations training_run_validation_conversations_pkey
ALTER TABLE ONLY coachspool.training_run_validation_conversations
    ADD CONSTRAINT training_run_validation_conversations_pkey PRIMARY KEY (run_id, conversation_id);

-- constraint training_runs training_runs_pkey
ALTER TABLE ONLY coachspool.training_runs
    ADD CONSTRAINT training_runs_pkey PRIMARY KEY (id);

-- constraint workers workers_pkey
ALTER TABLE ONLY coachspool.workers
    ADD CONSTRAINT workers_pkey PRIMARY KEY (id);

-- index audit_log_at
CREATE INDEX audit_log_at ON coachspool.audit_log USING btree (at DESC);

-- index chunks_embedded_at
CREATE INDEX chunks_embedded_at ON coachspool.chunks USING brin (embedded_at);

-- index chunks_tsv
CREATE INDEX chunks_tsv ON coachspool.chunks USING gin (tsv);

-- index conversation_builds_built_at
CREATE INDEX conversation_builds_built_at ON coachspool.conversation_builds USING brin (built_at);

-- index embedding_spaces_one_active
CREATE UNIQUE INDEX embedding_spaces_one_active ON coachspool.embedding_spaces USING btree ((true)) WHERE is_active;

-- index eval_runs_set
CREATE INDEX eval_runs_set ON coachspool.eval_runs USING btree (question_set_sha256, created_at);

-- index examples_content
CREATE INDEX examples_content ON coachspool.examples USING btree (version, content_hash);

-- index export_conversations_conversation
CREATE INDEX export_conversations_conversation ON coachspool.export_conversations USING btree (conversation_id);

-- index feedback_examples_content
CREATE INDEX feedback_examples_content ON coachspool.feedback_examples USING btree (version, content_hash);

-- index feedback_interaction
CREATE INDEX feedback_interaction ON coachspool.feedback USING btree (interaction_id, id);

-- index interaction_texts_processed_at
CREATE INDEX interaction_texts_processed_at ON coachspool.interaction_texts USING brin (processed_at);

-- index interactions_session
CREATE INDEX interactions_session ON coachspool.interactions USING btree (session_id, turn_index) WHERE (session_id IS NOT NULL);

-- index interactions_user
CREATE INDEX interactions_user ON coachspool.interactions USING btree (user_id) WHERE (user_id IS NOT NULL);

-- index jobs_dead
CREATE INDEX jobs_dead ON coachspool.jobs USING btree (kind, id) WHERE (state = 'dead'::text);

-- index jobs_dead_newest
CREATE INDEX jobs_dead_newest ON coachspool.jobs USING btree (id) WHERE (state = 'dead'::text);

-- index jobs_ready
CREATE INDEX jobs_ready ON coachspool.jobs USING btree (run_at, id) WHERE ((state = 'ready'::text) AND (kind <> 'interaction_batch'::text));

-- index jobs_ready_batches
CREATE INDEX jobs_ready_batches ON coachspool.jobs USING btree (run_at, id) WHERE ((state = 'ready'::text) AND (kind = 'interaction_batch'::text));

-- index memories_embedded_at
CREATE INDEX memories_embedded_at ON coachspool.memories USING brin (embedded_at);

-- index memories_user
CREATE INDEX memories_user ON coachspool.memories USING btree (user_id, space_id);

-- index preference_pairs_content
CREATE INDEX preference_pairs_content ON coachspool.preference_pairs USING btree (version, content_hash);

-- index reviews_interaction
CREATE INDEX reviews_interaction ON coachspool.reviews USING btree (interaction_id, id DESC);

-- index training_run_conversations_conversation
CREATE INDEX training_run_conversations_conversation ON coachspool.training_run_conversations USING btree (conversation_id);

-- index training_run_validation_conversations_conversation
CREATE INDEX training_run_validation_conversations_conversation ON coachspool.training_run_validation_conversations USING btree (conversation_id);

-- statistics jobs_kind_state
CREATE STATISTICS coachspool.jobs_kind_state (mcv) ON kind, state FROM coachspool.jobs;

-- ==============================================================================================
-- Foreign keys and triggers
-- ==============================================================================================

-- trigger consents consents_inserted
CREATE TRIGGER consents_inserted AFTER INSERT ON coachspool.consents REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION coachspool.requeue_conversations_of_changed_consents();

-- trigger consents consents_updated
CREATE TRIGGER consents_updated AFTER UPDATE ON coachspool.consents REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION coachspool.requeue_conversations_of_changed_consents();

-- fk constraint chunks chunks_document_id_fkey
ALTER TABLE ONLY coachspool.chunks
    ADD CONSTRAINT chunks_document_id_fkey FOREIGN KEY (document_id) REFERENCES coachspool.documents(id) ON DELETE CASCADE;

-- fk constraint chunks chunks_space_id_fkey
ALTER TABLE ONLY coachspool.chunks
    ADD CONSTRAINT chunks_space_id_fkey FOREIGN KEY (space_id) REFERENCES coachspool.embedding_spaces(id);

-- fk constraint eval_runs eval_runs_space_id_fkey
ALTER TABLE ONLY coachspool.eval_runs
    ADD CONSTRAINT eval_runs_space_id_fkey FOREIGN KEY (space_id) REFERENCES coachspool.embedding_spaces(id);

-- fk constraint memories memories_interaction_id_fkey
ALTER TABLE ONLY coachspool.memories
    ADD CONSTRAINT memories_interaction_id_fkey FOREIGN KEY (interaction_id) REFERENCES coachspool.interactions(id) ON DELETE CASCADE;

-- fk constraint memories memories_space_id_fkey
ALTER TABLE ONLY coachspool.memories
    ADD CONSTRAINT memories_space_id_fkey FOREIGN KEY (space_id) REFERENCES coachspool.embedding_spaces(id);

-- fk constraint review_leases review_leases_interaction_id_fkey
ALTER TABLE ONLY coachspool.review_leases
    ADD CONSTRAINT review_leases_interaction_id_fkey FOREIGN KEY (interaction_id) REFERENCES coachspool.interactions(id) ON DELETE CASCADE;

-- fk constraint reviews reviews_interaction_id_fkey
ALTER TABLE ONLY coachspool.reviews
    ADD CONSTRAINT reviews_interaction_id_fkey FOREIGN KEY (interaction_id) REFERENCES coachspool.interactions(id) ON DELETE CASCADE;

-- fk constraint training_run_conversations training_run_conversations_conversation_id_fkey
ALTER TABLE ONLY coachspool.training_run_conversations
    ADD CONSTRAINT training_run_conversations_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES coachspool.conversations(id) ON DELETE CASCADE;

-- fk constraint training_run_conversations training_run_conversations_run_id_fkey
ALTER TABLE ONLY coachspool.training_run_conversations
    ADD CONSTRAINT training_run_conversations_run_id_fkey FOREIGN KEY (run_id) REFERENCES coachspool.training_runs(id) ON DELETE CASCADE;

-- fk constraint training_run_validation_conversations training_run_validation_conversations_conversation_id_fkey
ALTER TABLE ONLY coachspool.training_run_validation_conversations
    ADD CONSTRAINT training_run_validation_conversations_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES coachspool.conversations(id) ON DELETE CASCADE;

-- fk constraint training_run_validation_conversations training_run_validation_conversations_run_id_fkey
ALTER TABLE ONLY coachspool.training_run_validation_conversations
    ADD CONSTRAINT training_run_validation_conversations_run_id_fkey FOREIGN KEY (run_id) REFERENCES coachspool.training_runs(id) ON DELETE CASCADE;

-- ==============================================================================================
-- Privileges (function grants: schema/privileges/grants.sql)
-- ==============================================================================================

-- acl SCHEMA coachspool
GRANT USAGE ON SCHEMA coachspool TO coachspool_producer;
GRANT USAGE ON SCHEMA coachspool TO coachspool_worker;
GRANT USAGE ON SCHEMA coachspool TO coachspool_admin;
GRANT USAGE ON SCHEMA coachspool TO coachspool_reviewer;

-- acl TABLE feedback
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.feedback TO coachspool_worker;
GRANT SELECT,MAINTAIN ON TABLE coachspool.feedback TO coachspool_admin;

-- acl TABLE interactions
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.interactions TO coachspool_worker;
GRANT SELECT,MAINTAIN ON TABLE coachspool.interactions TO coachspool_admin;

-- acl TABLE all_feedback
GRANT SELECT ON TABLE coachspool.all_feedback TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.all_feedback TO coachspool_admin;

-- acl TABLE eval_runs
GRANT SELECT ON TABLE coachspool.eval_runs TO coachspool_worker;
GRANT SELECT,INSERT ON TABLE coachspool.eval_runs TO coachspool_admin;

-- acl TABLE answer_eval_history
GRANT SELECT ON TABLE coachspool.answer_eval_history TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.answer_eval_history TO coachspool_admin;

-- acl TABLE audit_log
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.audit_log TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.audit_log TO coachspool_admin;

-- acl SEQUENCE audit_log_id_seq
GRANT USAGE ON SEQUENCE coachspool.audit_log_id_seq TO coachspool_worker;

-- acl TABLE chunks
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.chunks TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.chunks TO coachspool_admin;

-- acl SEQUENCE chunks_id_seq
GRANT USAGE ON SEQUENCE coachspool.chunks_id_seq TO coachspool_worker;

-- acl TABLE consents
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.consents TO coachspool_worker;
GRANT SELECT,MAINTAIN ON TABLE coachspool.consents TO coachspool_admin;

-- acl TABLE consent_coverage
GRANT SELECT ON TABLE coachspool.consent_coverage TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.consent_coverage TO coachspool_admin;

-- acl TABLE conversation_builds
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.conversation_builds TO coachspool_worker;
GRANT SELECT,MAINTAIN ON TABLE coachspool.conversation_builds TO coachspool_admin;

-- acl TABLE conversations
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.conversations TO coachspool_worker;
GRANT SELECT,MAINTAIN ON TABLE coachspool.conversations TO coachspool_admin;

-- acl SEQUENCE conversations_id_seq
GRANT USAGE ON SEQUENCE coachspool.conversations_id_seq TO coachspool_worker;

-- acl TABLE examples
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.examples TO coachspool_worker;
GRANT SELECT,MAINTAIN ON TABLE coachspool.examples TO coachspool_admin;

-- acl TABLE dataset_overview
GRANT SELECT ON TABLE coachspool.dataset_overview TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.dataset_overview TO coachspool_admin;

-- acl TABLE jobs
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.jobs TO coachspool_worker;
GRANT SELECT,DELETE,MAINTAIN,UPDATE ON TABLE coachspool.jobs TO coachspool_admin;

-- acl TABLE dead_jobs
GRANT SELECT ON TABLE coachspool.dead_jobs TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.dead_jobs TO coachspool_admin;

-- acl TABLE documents
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.documents TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.documents TO coachspool_admin;

-- acl SEQUENCE documents_id_seq
GRANT USAGE ON SEQUENCE coachspool.documents_id_seq TO coachspool_worker;

-- acl TABLE embedding_spaces
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.embedding_spaces TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.embedding_spaces TO coachspool_admin;

-- acl TABLE embedding_space_status
GRANT SELECT ON TABLE coachspool.embedding_space_status TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.embedding_space_status TO coachspool_admin;

-- acl SEQUENCE embedding_spaces_id_seq
GRANT USAGE ON SEQUENCE coachspool.embedding_spaces_id_seq TO coachspool_worker;

-- acl TABLE eval_history
GRANT SELECT ON TABLE coachspool.eval_history TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.eval_history TO coachspool_admin;

-- acl SEQUENCE eval_runs_id_seq
GRANT USAGE ON SEQUENCE coachspool.eval_runs_id_seq TO coachspool_worker;

-- acl TABLE export_conversations
GRANT SELECT ON TABLE coachspool.export_conversations TO coachspool_worker;
GRANT SELECT,INSERT,MAINTAIN,UPDATE ON TABLE coachspool.export_conversations TO coachspool_admin;

-- acl TABLE exports
GRANT SELECT ON TABLE coachspool.exports TO coachspool_worker;
GRANT SELECT,INSERT,UPDATE ON TABLE coachspool.exports TO coachspool_admin;

-- acl TABLE export_overview
GRANT SELECT ON TABLE coachspool.export_overview TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.export_overview TO coachspool_admin;

-- acl SEQUENCE exports_id_seq
GRANT USAGE ON SEQUENCE coachspool.exports_id_seq TO coachspool_worker;

-- acl TABLE feedback_examples
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.feedback_examples TO coachspool_worker;
GRANT SELECT,MAINTAIN ON TABLE coachspool.feedback_examples TO coachspool_admin;

-- acl SEQUENCE feedback_id_seq
GRANT USAGE ON SEQUENCE coachspool.feedback_id_seq TO coachspool_worker;

-- acl TABLE workers
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.workers TO coachspool_worker;
GRANT SELECT,DELETE ON TABLE coachspool.workers TO coachspool_admin;

-- acl TABLE gone_workers
GRANT SELECT ON TABLE coachspool.gone_workers TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.gone_workers TO coachspool_admin;

-- acl TABLE interaction_batches
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.interaction_batches TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.interaction_batches TO coachspool_admin;

-- acl SEQUENCE interaction_batches_id_seq
GRANT USAGE ON SEQUENCE coachspool.interaction_batches_id_seq TO coachspool_worker;

-- acl TABLE interaction_texts
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.interaction_texts TO coachspool_worker;
GRANT SELECT,MAINTAIN ON TABLE coachspool.interaction_texts TO coachspool_admin;

-- acl SEQUENCE interactions_id_seq
GRANT USAGE ON SEQUENCE coachspool.interactions_id_seq TO coachspool_worker;

-- acl SEQUENCE jobs_id_seq
GRANT USAGE ON SEQUENCE coachspool.jobs_id_seq TO coachspool_worker;

-- acl TABLE latest_feedback
GRANT SELECT ON TABLE coachspool.latest_feedback TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.latest_feedback TO coachspool_admin;

-- acl TABLE live_workers
GRANT SELECT ON TABLE coachspool.live_workers TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.live_workers TO coachspool_admin;

-- acl TABLE memories
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.memories TO coachspool_worker;
GRANT SELECT,MAINTAIN ON TABLE coachspool.memories TO coachspool_admin;

-- acl TABLE quality_verdicts
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.quality_verdicts TO coachspool_worker;
GRANT SELECT,MAINTAIN ON TABLE coachspool.quality_verdicts TO coachspool_admin;

-- acl TABLE queue_status_by_kind
GRANT SELECT ON TABLE coachspool.queue_status_by_kind TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.queue_status_by_kind TO coachspool_admin;

-- acl TABLE pipeline_progress
GRANT SELECT ON TABLE coachspool.pipeline_progress TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.pipeline_progress TO coachspool_admin;

-- acl TABLE preference_pairs
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.preference_pairs TO coachspool_worker;
GRANT SELECT,MAINTAIN ON TABLE coachspool.preference_pairs TO coachspool_admin;

-- acl TABLE preference_overview
GRANT SELECT ON TABLE coachspool.preference_overview TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.preference_overview TO coachspool_admin;

-- acl TABLE prepared_interactions
GRANT SELECT ON TABLE coachspool.prepared_interactions TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.prepared_interactions TO coachspool_admin;

-- acl TABLE quality_rejections
GRANT SELECT ON TABLE coachspool.quality_rejections TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.quality_rejections TO coachspool_admin;

-- acl TABLE queue_status
GRANT SELECT ON TABLE coachspool.queue_status TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.queue_status TO coachspool_admin;

-- acl TABLE redaction_summary
GRANT SELECT ON TABLE coachspool.redaction_summary TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.redaction_summary TO coachspool_admin;

-- acl TABLE review_leases
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.review_leases TO coachspool_worker;
GRANT SELECT,MAINTAIN ON TABLE coachspool.review_leases TO coachspool_admin;

-- acl TABLE review_settings
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.review_settings TO coachspool_worker;
GRANT SELECT,INSERT,UPDATE ON TABLE coachspool.review_settings TO coachspool_admin;

-- acl TABLE reviews
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE coachspool.reviews TO coachspool_worker;
GRANT SELECT,MAINTAIN ON TABLE coachspool.reviews TO coachspool_admin;

-- acl TABLE review_queue
GRANT SELECT ON TABLE coachspool.review_queue TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.review_queue TO coachspool_admin;
GRANT SELECT ON TABLE coachspool.review_queue TO coachspool_reviewer;

-- acl SEQUENCE reviews_id_seq
GRANT USAGE ON SEQUENCE coachspool.reviews_id_seq TO coachspool_worker;

-- acl TABLE running_by_heartbeat
GRANT SELECT ON TABLE coachspool.running_by_heartbeat TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.running_by_heartbeat TO coachspool_admin;

-- acl TABLE space_indexes
GRANT SELECT ON TABLE coachspool.space_indexes TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.space_indexes TO coachspool_admin;

-- acl TABLE training_run_conversations
GRANT SELECT ON TABLE coachspool.training_run_conversations TO coachspool_worker;
GRANT SELECT,INSERT,UPDATE ON TABLE coachspool.training_run_conversations TO coachspool_admin;

-- acl TABLE training_runs
GRANT SELECT ON TABLE coachspool.training_runs TO coachspool_worker;
GRANT SELECT,INSERT,UPDATE ON TABLE coachspool.training_runs TO coachspool_admin;

-- acl TABLE training_run_overview
GRANT SELECT ON TABLE coachspool.training_run_overview TO coachspool_worker;
GRANT SELECT ON TABLE coachspool.training_run_overview TO coachspool_admin;

-- acl TABLE training_run_validation_conversations
GRANT SELECT ON TABLE coachspool.training_run_validation_conversations TO coachspool_worker;
GRANT SELECT,INSERT,UPDATE ON TABLE coachspool.training_run_validation_conversations TO coachspool_admin;

-- acl SEQUENCE training_runs_id_seq
GRANT USAGE ON SEQUENCE coachspool.training_runs_id_seq TO coachspool_worker;

-- default acl DEFAULT PRIVILEGES FOR SEQUENCES
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA coachspool GRANT USAGE ON SEQUENCES TO coachspool_worker;

-- default acl DEFAULT PRIVILEGES FOR FUNCTIONS
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA coachspool GRANT ALL ON FUNCTIONS TO coachspool_worker;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA coachspool GRANT ALL ON FUNCTIONS TO coachspool_admin;

-- default acl DEFAULT PRIVILEGES FOR TABLES
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA coachspool GRANT SELECT,INSERT,DELETE,UPDATE ON TABLES TO coachspool_worker;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA coachspool GRANT SELECT ON TABLES TO coachspool_admin;


--
-- PostgreSQL database dump complete
--
