-- A question as a full-text query: its words as Swedish, English and plain lexemes, any of them
-- matching (OR, not websearch's AND: a question's every word is rarely in one chunk); ranking
-- then prefers the chunks that match more of them, closer together.
CREATE OR REPLACE FUNCTION coachspool.question_tsquery(p_question text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(replace(t.query::text, ' & ', ' | '), ' | '), '')::tsquery
      FROM unnest(ARRAY[
               plainto_tsquery('pg_catalog.swedish', p_question),
               plainto_tsquery('pg_catalog.english', p_question),
               plainto_tsquery('pg_catalog.simple', p_question)]) AS t(query)
     WHERE t.query::text <> ''
$$;
