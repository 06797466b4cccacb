-- Issue 30: people in the loop. Coaches review answers (approve, reject, correct); a correction
-- becomes training data (Sources/Stages/Datasets/ExampleBuilder.swift, "Reviews"); the console's
-- actions are audited.

-- A reviewer (a coach's login role, or the role `serve` uses for them) reads the review queue and
-- records decisions through coachspool.review_next and coachspool.review_decide, and nothing else.
DO $$
BEGIN
    CREATE ROLE coachspool_reviewer NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
GRANT USAGE ON SCHEMA coachspool TO coachspool_reviewer;

-- One row: how much of what the filter accepted is sampled for quality control (per mille, by a
-- hash of the interaction id, so that an item stays sampled), and how long `next` holds an item.
-- Without the row (a fresh install from schema/current.sql, which holds no data) the defaults
-- apply. An admin sets them with
--   INSERT INTO coachspool.review_settings (sample_per_mille) VALUES (100)
--   ON CONFLICT (singleton) DO UPDATE SET sample_per_mille = excluded.sample_per_mille;
CREATE TABLE coachspool.review_settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    sample_per_mille integer NOT NULL DEFAULT 50 CHECK (sample_per_mille BETWEEN 0 AND 1000),
    lease_seconds integer NOT NULL DEFAULT 900 CHECK (lease_seconds BETWEEN 10 AND 86400)
);

-- Every decision; the latest per interaction counts (the history stays). `corrected_answer` is
-- stored as given by coachspool.review_decide's caller (`serve` and the CLI redact it first) and
-- is redacted again, with the conversation's pseudonyms, before it is built into examples.
-- `reviewer` is a pseudonymous id (`serve`: the kind of token and 12 hex digits of its SHA-256).
CREATE TABLE coachspool.reviews (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    interaction_id bigint NOT NULL REFERENCES coachspool.interactions (id) ON DELETE CASCADE,
    decision text NOT NULL CHECK (decision IN ('approve', 'reject', 'correct')),
    corrected_answer text CHECK (octet_length(corrected_answer) <= 32768 AND corrected_answer ~ '[^[:space:]]'),
    reason text CHECK (octet_length(reason) <= 1000),
    reviewer text NOT NULL COLLATE "C" CHECK (reviewer ~ '^[A-Za-z0-9:._-]{1,64}$'),
    decided_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((decision = 'correct') = (corrected_answer IS NOT NULL))
);
CREATE INDEX reviews_interaction ON coachspool.reviews (interaction_id, id DESC);

-- Items handed out by coachspool.review_next: held for the lease, so that two reviewers never
-- get the same item; an expired lease hands the item out again. Deleted by the decision.
CREATE TABLE coachspool.review_leases (
    interaction_id bigint PRIMARY KEY REFERENCES coachspool.interactions (id) ON DELETE CASCADE,
    reviewer text NOT NULL COLLATE "C",
    expires_at timestamptz NOT NULL
);

-- Who did what in the console and the review API, and when: ids and counts, never texts.
CREATE TABLE coachspool.audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL COLLATE "C" CHECK (actor ~ '^[A-Za-z0-9:._-]{1,64}$'),
    action text NOT NULL COLLATE "C" CHECK (action ~ '^[a-z_.]{1,40}$'),
    target text CHECK (octet_length(target) <= 200),
    items bigint
);
CREATE INDEX audit_log_at ON coachspool.audit_log (at DESC);

-- What a correction adds to the examples (ExampleBuilder): the conversation up to the corrected
-- turn ending with the correction, beside the conversation as it happened (branch 0); a DPO pair
-- per corrected answer; a KTO example with the original as undesirable and one with the
-- correction as desirable.
ALTER TABLE coachspool.examples ADD COLUMN branch bigint NOT NULL DEFAULT 0;
ALTER TABLE coachspool.examples DROP CONSTRAINT examples_pkey;
ALTER TABLE coachspool.examples ADD PRIMARY KEY (conversation_id, version, branch);
ALTER TABLE coachspool.preference_pairs ADD COLUMN from_review boolean NOT NULL DEFAULT false;
ALTER TABLE coachspool.preference_pairs DROP CONSTRAINT preference_pairs_pkey;
ALTER TABLE coachspool.preference_pairs ADD PRIMARY KEY (conversation_id, version, turn_index, non_preferred_interaction);
ALTER TABLE coachspool.feedback_examples ADD COLUMN from_review boolean NOT NULL DEFAULT false;
ALTER TABLE coachspool.feedback_examples DROP CONSTRAINT feedback_examples_pkey;
ALTER TABLE coachspool.feedback_examples ADD PRIMARY KEY (conversation_id, version, interaction_id, label);

-- What waits for review: exchanges of users with training consent whose answer has a rating
-- below the filter's minimum or `helpful: false`, and the sample of the others, without a
-- decision yet; redacted texts only (the newest of each interaction), the session's earlier
-- exchanges (at most 10, redacted) as context. Newest first through coachspool.review_next.
CREATE VIEW coachspool.review_queue AS
SELECT i.id AS interaction_id, i.mode, i.language, i.occurred_at,
       t.user_input, t.ai_response, v.rating, f.helpful,
       CASE WHEN 'rating_below_minimum' = ANY (v.reasons) THEN 'low_rating'
            WHEN f.helpful = false THEN 'not_helpful'
            ELSE 'sample' END AS why,
       v.reasons,
       COALESCE((SELECT jsonb_agg(jsonb_build_object('user', e.user_input, 'assistant', e.ai_response) ORDER BY coalesce(e.turn_index, 0), e.occurred_at, e.id)
                   FROM (SELECT p.id, p.turn_index, p.occurred_at, pt.user_input, pt.ai_response
                           FROM coachspool.interactions p
                           JOIN LATERAL (SELECT x.user_input, x.ai_response FROM coachspool.interaction_texts x
                                          WHERE x.interaction_id = p.id ORDER BY x.processed_at DESC LIMIT 1) pt ON true
                          WHERE i.session_id IS NOT NULL AND p.session_id = i.session_id AND p.id <> i.id
                            AND (coalesce(p.turn_index, 0), p.occurred_at, p.id) < (coalesce(i.turn_index, 0), i.occurred_at, i.id)
                          ORDER BY coalesce(p.turn_index, 0) DESC, p.occurred_at DESC, p.id DESC LIMIT 10) e), '[]'::jsonb) AS context,
       l.expires_at AS leased_until
  FROM coachspool.interactions i
  JOIN LATERAL (SELECT x.user_input, x.ai_response FROM coachspool.interaction_texts x
                 WHERE x.interaction_id = i.id ORDER BY x.processed_at DESC LIMIT 1) t ON true
  JOIN LATERAL (SELECT x.accepted, x.reasons, x.rating FROM coachspool.quality_verdicts x
                 WHERE x.interaction_id = i.id ORDER BY x.processed_at DESC LIMIT 1) v ON true
  LEFT JOIN LATERAL (SELECT x.helpful FROM coachspool.feedback x
                      WHERE x.interaction_id = i.id AND x.helpful IS NOT NULL ORDER BY x.id DESC LIMIT 1) f ON true
  LEFT JOIN coachspool.review_leases l ON l.interaction_id = i.id AND l.expires_at > now()
 LEFT JOIN coachspool.review_settings s ON true
 WHERE EXISTS (SELECT 1 FROM coachspool.consents k WHERE k.user_id = i.user_id AND k.purpose = 'training' AND k.granted)
   AND NOT EXISTS (SELECT 1 FROM coachspool.reviews r WHERE r.interaction_id = i.id)
   AND ('rating_below_minimum' = ANY (v.reasons) OR f.helpful = false
        OR (v.accepted AND mod(hashint8(i.id)::bigint + 2147483648, 1000) < coalesce(s.sample_per_mille, 50)));

-- Privileges: reviewers read the queue, and only through it (the view runs with its owner's
-- rights); the rest is schema/privileges/grants.sql's. Admins change the sample and the lease.
GRANT SELECT ON coachspool.review_queue TO coachspool_reviewer;
GRANT SELECT, INSERT, UPDATE ON coachspool.review_settings TO coachspool_admin;

-- The console's throughput chart (rows each stage wrote per minute over the last hour) reads
-- these times: BRIN indexes, a few pages each and next to free to keep up at ingest, since the
-- rows arrive in time order; the chart reads the last hour's block ranges, never the table.
CREATE INDEX interaction_texts_processed_at ON coachspool.interaction_texts USING brin (processed_at);
CREATE INDEX conversation_builds_built_at ON coachspool.conversation_builds USING brin (built_at);
CREATE INDEX memories_embedded_at ON coachspool.memories USING brin (embedded_at);
CREATE INDEX chunks_embedded_at ON coachspool.chunks USING brin (embedded_at);
