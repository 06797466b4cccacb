-- The exports whose files hold a person's conversations (for erasure reports, before
-- erase_user): their ids, hosts and folders, oldest first.
CREATE OR REPLACE FUNCTION coachspool.exports_of_user(p_user_id text)
RETURNS TABLE (id bigint, host text, out_dir text) LANGUAGE sql STABLE AS $$
    SELECT e.id, e.host, e.out_dir
      FROM coachspool.exports e
     WHERE e.id IN (SELECT l.export_id
                      FROM coachspool.export_conversations l
                      JOIN coachspool.conversations c ON c.id = l.conversation_id
                     WHERE c.key IN (SELECT coachspool.conversation_key(i.session_id, i.idempotency_key)
                                       FROM coachspool.interactions i WHERE i.user_id = p_user_id))
     ORDER BY e.id
$$;
