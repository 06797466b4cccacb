-- Issue 28: the feedback given with an exchange (the log line's `feedback`, log_interaction's
-- p_rating/p_helpful) is stored in the interaction's own row, not as a `feedback` row: at ingest
-- that is a row, two index entries and a join fewer per rated line (docs/benchmarks.md, "Issue
-- 28, third pass"). `feedback` keeps what arrives later (log_feedback, POST /v1/feedback); the
-- latest value of a field is that of the newest later row that has it, else the exchange's own.
-- Rows stored before this migration stay in `feedback`, where the same rule reads them: nothing
-- is moved or processed again.
ALTER TABLE coachspool.interactions
    ADD COLUMN rating smallint CHECK (rating BETWEEN 1 AND 5),
    ADD COLUMN helpful boolean;

-- Every feedback of every interaction: the exchange's own (feedback_id NULL, received with the
-- exchange) and the later ones, oldest first per interaction by (feedback_id NULLS FIRST).
CREATE VIEW coachspool.all_feedback AS
SELECT i.id AS interaction_id, NULL::bigint AS feedback_id, i.rating, i.helpful, i.received_at
  FROM coachspool.interactions i
 WHERE i.rating IS NOT NULL OR i.helpful IS NOT NULL
UNION ALL
SELECT f.interaction_id, f.id, f.rating, f.helpful, f.received_at
  FROM coachspool.feedback f;

-- The latest feedback per interaction, as before: the newest row, the exchange's own last.
CREATE OR REPLACE VIEW coachspool.latest_feedback AS
SELECT DISTINCT ON (interaction_id) interaction_id, rating, helpful, received_at
  FROM coachspool.all_feedback
 ORDER BY interaction_id, feedback_id DESC NULLS LAST;

CREATE OR REPLACE VIEW coachspool.review_queue AS
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
  -- the latest `helpful`: of later feedback, else of the exchange's own (0021)
  LEFT JOIN LATERAL (SELECT coalesce((SELECT x.helpful FROM coachspool.feedback x
                                       WHERE x.interaction_id = i.id AND x.helpful IS NOT NULL ORDER BY x.id DESC LIMIT 1),
                                     i.helpful) AS helpful) f ON true
  LEFT JOIN coachspool.review_leases l ON l.interaction_id = i.id AND l.expires_at > now()
 LEFT JOIN coachspool.review_settings s ON true
 WHERE EXISTS (SELECT 1 FROM coachspool.consents k WHERE k.user_id = i.user_id AND k.purpose = 'training' AND k.granted)
   AND NOT EXISTS (SELECT 1 FROM coachspool.reviews r WHERE r.interaction_id = i.id)
   AND ('rating_below_minimum' = ANY (v.reasons) OR f.helpful = false
        OR (v.accepted AND mod(hashint8(i.id)::bigint + 2147483648, 1000) < coalesce(s.sample_per_mille, 50)));

-- Privileges: admins and workers read all_feedback like the other views (0007's defaults).
