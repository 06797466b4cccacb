-- Interactions are append-only: only erasure deletes them. Whatever deletes them, the training
-- runs that learnt from their conversations and the exports whose files hold them
-- (0015_exports.sql) are flagged first: one statement trigger for all lineage.
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

-- The trigger of 0008 named flag_training_runs_on_erasure; replacing it here, in one statement,
-- leaves no moment without a trigger, and the old function goes once nothing calls it.
CREATE OR REPLACE TRIGGER interactions_erased AFTER DELETE ON coachspool.interactions
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION coachspool.flag_lineage_on_erasure();
DROP FUNCTION IF EXISTS coachspool.flag_training_runs_on_erasure();
