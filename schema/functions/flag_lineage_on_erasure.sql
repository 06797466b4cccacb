-- Interactions are append-only: only erasure deletes them. Whatever deletes them (trigger
-- `interactions_erased`, 0015_exports.sql), the training runs that learnt from their
-- conversations and the exports whose files hold them are flagged first.
CREATE OR REPLACE FUNCTION coachspool.flag_lineage_on_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH erased AS (
        SELECT c.id FROM coachspool.conversations c
         WHERE c.key IN (SELECT coachspool.conversation_key(g.session_id, g.idempotency_key) FROM gone g)
    ), runs AS (
        UPDATE coachspool.training_runs r SET contains_erased_data = true
         WHERE NOT r.contains_erased_data
           AND r.id IN (SELECT l.run_id FROM coachspool.training_run_conversations l JOIN erased e ON e.id = l.conversation_id)
    )
    UPDATE coachspool.exports x SET contains_erased_data = true
     WHERE NOT x.contains_erased_data
       AND x.id IN (SELECT l.export_id FROM coachspool.export_conversations l JOIN erased e ON e.id = l.conversation_id);
    RETURN NULL;
END
$$;
