-- Issue 28: an export's lineage rows (`export_conversations`, one per exported conversation) carry
-- no foreign keys. Their two checks per row (a trigger and an index probe into `exports` and into
-- `conversations`) were 2 of the 3 s an export of 100,000 conversations spent recording them
-- (docs/benchmarks.md, "Issue 28, sixth pass"). What they guaranteed is kept otherwise:
--   - the recording (Datasets/ExportRecords.swift) inserts ids it reads from `conversations` in
--     the same statement, locking those rows FOR KEY SHARE in id order (the lock the checks took
--     row by row); its `exports` row is inserted by the same transaction just before;
--   - erase_user, the only statement that deletes conversations, deletes their lineage rows by
--     name (functions/erase_user.sql), after the lineage trigger has flagged the exports; nothing
--     deletes `exports` rows, so the cascade from there was never used.
-- Existing rows are untouched.
ALTER TABLE coachspool.export_conversations
    DROP CONSTRAINT export_conversations_conversation_id_fkey,
    DROP CONSTRAINT export_conversations_export_id_fkey;
