-- Issue 28: the rows the interaction and conversation stages write carry no foreign keys. Their
-- per-row checks (a trigger and an index probe per verdict, text, build, example, DPO pair and
-- KTO example: 770,000 for 200,000 interactions) were 27 % of the workers' database CPU
-- (docs/benchmarks.md, "Issue 28, fourth pass"). What they guaranteed is kept by locks taken once
-- per statement instead:
--   - verdicts and texts are written only for interactions the completion has locked FOR KEY
--     SHARE (Pipeline/Interaction/InteractionHandler.swift), the lock the checks took row by row;
--   - builds, examples, pairs and KTO examples only for conversations the rebuild has locked FOR
--     UPDATE (ConversationRebuild), which it did already;
--   - erase_user locks the person's interactions and then their conversations before it deletes
--     anything, and deletes every derived row by name (functions/erase_user.sql): a completion
--     either commits before the erasure reads (and its rows are deleted) or waits and finds the
--     rows gone (and writes nothing). The cascades from conversations to builds and on to
--     examples were used by erase_user only, which deletes those rows itself first.
-- Existing rows are untouched.
ALTER TABLE coachspool.quality_verdicts DROP CONSTRAINT quality_verdicts_interaction_id_fkey;
ALTER TABLE coachspool.interaction_texts DROP CONSTRAINT interaction_texts_interaction_id_fkey;
ALTER TABLE coachspool.conversation_builds DROP CONSTRAINT conversation_builds_conversation_id_fkey;
ALTER TABLE coachspool.examples DROP CONSTRAINT examples_conversation_id_version_fkey;
ALTER TABLE coachspool.preference_pairs DROP CONSTRAINT preference_pairs_conversation_id_version_fkey;
ALTER TABLE coachspool.feedback_examples DROP CONSTRAINT feedback_examples_conversation_id_version_fkey;
