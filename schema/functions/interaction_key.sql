-- The idempotency key of an interaction without a producer id:
--   'h:' || hex(sha256('<n>:<session id>|<epoch microseconds>|<n>:<user input>|<answer>'))
-- where <n> is a length in characters. The CLI computes the same key in Swift
-- (InteractionRecord.idempotencyKey); a test holds the two together.
CREATE OR REPLACE FUNCTION coachspool.interaction_key(
    p_session_id text, p_occurred_at timestamptz, p_user_input text, p_ai_response text
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'h:' || encode(sha256(convert_to(
        length(coalesce(p_session_id, '')) || ':' || coalesce(p_session_id, '') || '|' ||
        (extract(epoch FROM p_occurred_at) * 1000000)::bigint || '|' ||
        length(p_user_input) || ':' || p_user_input || '|' ||
        p_ai_response, 'UTF8')), 'hex')
$$;
