# The checks both fault scripts (chaos.sh, chaos-failover.sh) make on a run's database.
# shellcheck shell=bash

# chaos_counts QUERY_FUNCTION: one line, "accepted processed texts conversations built documents
# embedded duplicated" (duplicated: derived rows beyond one per source and version, and
# interactions beyond one per idempotency key).
chaos_counts() {
  "$1" "SELECT concat_ws(' ',
      (SELECT count(*) FROM coachspool.interactions),
      (SELECT count(DISTINCT interaction_id) FROM coachspool.quality_verdicts),
      (SELECT count(DISTINCT interaction_id) FROM coachspool.interaction_texts),
      (SELECT count(*) FROM coachspool.conversations),
      (SELECT count(DISTINCT conversation_id) FROM coachspool.conversation_builds),
      (SELECT count(*) FROM coachspool.documents),
      (SELECT count(DISTINCT document_id) FROM coachspool.chunks),
      (SELECT count(*) - count(DISTINCT (interaction_id, pipeline_version)) FROM coachspool.quality_verdicts)
      + (SELECT count(*) - count(DISTINCT (interaction_id, text_version)) FROM coachspool.interaction_texts)
      + (SELECT count(*) - count(DISTINCT (conversation_id, version)) FROM coachspool.examples)
      + (SELECT count(*) - count(DISTINCT (space_id, document_id, ordinal)) FROM coachspool.chunks)
      + (SELECT count(*) - count(DISTINCT idempotency_key) FROM coachspool.interactions))"
}

# export_sum DIR: the first 16 hex digits of the sha256 of an openai export's two data files.
export_sum() { cat "$1/train.jsonl" "$1/validation.jsonl" | sha256sum | cut -c1-16; }
