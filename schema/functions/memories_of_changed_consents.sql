-- Retrieval consent decides the conversation memory: a revocation deletes the user's memories in
-- the transaction that records it; a grant queues their interactions for every space (the
-- workers embed those that passed the quality filter). Statement triggers, set-based.
CREATE OR REPLACE FUNCTION coachspool.memories_of_changed_consents() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM coachspool.memories m USING changed ch
     WHERE ch.purpose = 'retrieval' AND NOT ch.granted AND m.user_id = ch.user_id;
    PERFORM coachspool.enqueue('memory:' || s.id, i.id)
       FROM changed ch
       JOIN coachspool.interactions i ON i.user_id = ch.user_id
      CROSS JOIN coachspool.embedding_spaces s
      WHERE ch.purpose = 'retrieval' AND ch.granted;
    IF FOUND THEN PERFORM coachspool.wake_workers(); END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER consents_inserted_memory AFTER INSERT ON coachspool.consents
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION coachspool.memories_of_changed_consents();
CREATE OR REPLACE TRIGGER consents_updated_memory AFTER UPDATE ON coachspool.consents
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION coachspool.memories_of_changed_consents();
