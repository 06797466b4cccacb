-- Issue 4: the text stages. An interaction job now runs quality filter → PII redaction →
-- token counts, so its kind is renamed from 'quality' to 'interaction'.

UPDATE coachspool.jobs SET kind = 'interaction' WHERE kind = 'quality';

-- Redacted texts and their token counts, one row per interaction and text version. The text
-- version names the redaction rules and the tokenizer (e.g.
-- 'redact-v1:CARD,EMAIL,…;cl100k_base'): a changed rule writes new rows beside the old ones,
-- and a re-run for new feedback (same version) leaves these rows alone.
-- Never the removed values: only their types and counts.
CREATE TABLE coachspool.interaction_texts (
    interaction_id       bigint NOT NULL REFERENCES coachspool.interactions (id),
    text_version         text COLLATE "C" NOT NULL,
    user_input           text NOT NULL,
    ai_response          text NOT NULL,
    -- {"EMAIL": 1, "PHONE": 2}: entities removed from both texts, by type
    entity_counts        jsonb NOT NULL,
    entities             integer NOT NULL,
    user_input_tokens    integer NOT NULL,
    ai_response_tokens   integer NOT NULL,
    worker               text NOT NULL,
    processed_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (interaction_id, text_version)
);

CREATE OR REPLACE FUNCTION coachspool.log_interaction(
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
    PERFORM coachspool.enqueue('interaction', v_id);
    PERFORM coachspool.wake_workers();
    RETURN v_id;
END
$$;

CREATE OR REPLACE FUNCTION coachspool.log_feedback(p_interaction_id bigint, p_rating integer, p_helpful boolean DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM coachspool.interactions WHERE id = p_interaction_id) THEN
        RAISE EXCEPTION 'interaction % does not exist', p_interaction_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    INSERT INTO coachspool.feedback (interaction_id, rating, helpful) VALUES (p_interaction_id, p_rating, p_helpful);
    PERFORM coachspool.enqueue('interaction', p_interaction_id);
    PERFORM coachspool.wake_workers();
END
$$;

-- What the pipeline made of each interaction, at its latest versions: the verdict, and the
-- redacted, counted texts. Admins query this instead of joining the version-keyed tables.
CREATE VIEW coachspool.prepared_interactions AS
SELECT i.id, i.session_id, i.turn_index, i.mode, i.language, i.occurred_at,
       v.accepted, v.reasons, v.rating, v.pipeline_version AS quality_version,
       t.user_input, t.ai_response, t.entity_counts, t.entities,
       t.user_input_tokens, t.ai_response_tokens, t.text_version
FROM coachspool.interactions i
LEFT JOIN LATERAL (SELECT * FROM coachspool.quality_verdicts q WHERE q.interaction_id = i.id
                   ORDER BY q.processed_at DESC LIMIT 1) v ON true
LEFT JOIN LATERAL (SELECT * FROM coachspool.interaction_texts x WHERE x.interaction_id = i.id
                   ORDER BY x.processed_at DESC LIMIT 1) t ON true;

-- Redaction at a glance: entities removed by type, per text version.
CREATE VIEW coachspool.redaction_summary AS
SELECT t.text_version, e.key AS type, sum(e.value::integer) AS entities, count(*) AS interactions
FROM coachspool.interaction_texts t, jsonb_each_text(t.entity_counts) e
GROUP BY 1, 2;
