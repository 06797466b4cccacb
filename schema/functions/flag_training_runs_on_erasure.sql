-- Interactions are append-only: only erasure deletes them. Whatever deletes them, the runs that
-- learnt from their conversations (shared conversations included) are flagged first.
CREATE OR REPLACE FUNCTION coachspool.flag_training_runs_on_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE coachspool.training_runs r SET contains_erased_data = true
     WHERE NOT r.contains_erased_data
       AND r.id IN (SELECT l.run_id
                      FROM coachspool.training_run_conversations l
                      JOIN coachspool.conversations c ON c.id = l.conversation_id
                     WHERE c.key IN (SELECT coachspool.conversation_key(g.session_id, g.idempotency_key) FROM gone g));
    RETURN NULL;
END
$$;
