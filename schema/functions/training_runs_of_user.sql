-- The runs that learnt from a person's conversations (for erasure reports, before erase_user).
CREATE OR REPLACE FUNCTION coachspool.training_runs_of_user(p_user_id text) RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
    SELECT DISTINCT l.run_id
      FROM coachspool.training_run_conversations l
      JOIN coachspool.conversations c ON c.id = l.conversation_id
     WHERE c.key IN (SELECT coachspool.conversation_key(i.session_id, i.idempotency_key)
                       FROM coachspool.interactions i WHERE i.user_id = p_user_id)
     ORDER BY 1
$$;
