-- The text search configuration for a language: Swedish and English stemming and stop words,
-- else 'simple' (lower-cased words, no stemming). Languages are ISO codes ('sv', 'en-GB') or
-- names ('swedish'); NULL is 'simple'.
CREATE OR REPLACE FUNCTION coachspool.text_config(p_language text) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN lower(p_language) ~ '^(sv|swe|swedish|svenska)([-_].*)?$' THEN 'pg_catalog.swedish'::regconfig
        WHEN lower(p_language) ~ '^(en|eng|english)([-_].*)?$' THEN 'pg_catalog.english'::regconfig
        ELSE 'pg_catalog.simple'::regconfig
    END
$$;
