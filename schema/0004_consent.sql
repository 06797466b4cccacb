-- Consent per user and purpose (issue 6). Training examples and exports only use interactions of
-- users whose latest training consent is granted; retrieval consent governs whether their
-- interactions may be embedded. No row means no consent.

CREATE TABLE coachspool.consents (
    user_id     text COLLATE "C" NOT NULL,
    purpose     text NOT NULL CHECK (purpose IN ('training', 'retrieval')),
    granted     boolean NOT NULL,
    -- who recorded it: 'app' (SQL), 'cli', 'ingest' (a backfill of consent given earlier)
    source      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, purpose)
);

-- Grants or revokes one purpose for one user; returns whether anything changed.
CREATE FUNCTION coachspool.set_consent(p_user_id text, p_purpose text, p_granted boolean, p_source text DEFAULT 'app')
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_changed boolean;
BEGIN
    IF p_user_id IS NULL OR btrim(p_user_id) = '' THEN
        RAISE EXCEPTION 'user id must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO coachspool.consents AS c (user_id, purpose, granted, source)
    VALUES (p_user_id, p_purpose, p_granted, p_source)
    ON CONFLICT (user_id, purpose) DO UPDATE
       SET granted = excluded.granted, source = excluded.source, updated_at = now()
     WHERE c.granted <> excluded.granted
    RETURNING true INTO v_changed;
    RETURN coalesce(v_changed, false);
END
$$;

-- Consent coverage for admins: users with interactions, and how many have granted each purpose.
CREATE VIEW coachspool.consent_coverage AS
SELECT p.purpose,
       count(DISTINCT i.user_id) AS users_with_interactions,
       count(DISTINCT i.user_id) FILTER (WHERE c.granted) AS users_granted,
       count(*) FILTER (WHERE c.granted) AS interactions_usable,
       count(*) AS interactions_with_user
  FROM coachspool.interactions i
 CROSS JOIN (VALUES ('training'), ('retrieval')) AS p(purpose)
  LEFT JOIN coachspool.consents c ON c.user_id = i.user_id AND c.purpose = p.purpose
 WHERE i.user_id IS NOT NULL
 GROUP BY p.purpose;
