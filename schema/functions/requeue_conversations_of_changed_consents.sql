-- Consent changes re-queue the user's conversations, whoever records them (set_consent, or an
-- ingested line's consent field): revoking removes their examples at the next processing,
-- granting builds them. Statement triggers, so that a backfill recording thousands of consents
-- queues their conversations in one set-based statement.
CREATE OR REPLACE FUNCTION coachspool.requeue_conversations_of_changed_consents() RETURNS trigger
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
