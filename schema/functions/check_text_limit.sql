-- The SQL side of Stages' `TextLimit` (Sources/Stages/Validation/InputLimits.swift): fails with
-- SQLSTATE 22023 when `p_value` is longer than `p_max_bytes` of UTF-8 or, with `p_language_tag`,
-- is not a language tag; the message names the argument and, like `TextLimit.problem`, never
-- quotes the value (it may be personal data, and megabytes). NULL passes: whether an argument is
-- required is its function's business. Called first by the functions apps call directly, before
-- an over-long value reaches an index (which would fail with 54000, index row too large).
-- octet_length reads a stored value's size without decompressing it.
CREATE OR REPLACE FUNCTION coachspool.check_text_limit(
    p_argument text, p_value text, p_max_bytes integer, p_language_tag boolean DEFAULT false
) RETURNS void LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF octet_length(p_value) > p_max_bytes THEN
        RAISE EXCEPTION '%: longer than % (UTF-8), the limit for this field', p_argument,
              CASE WHEN p_max_bytes >= 1048576 AND p_max_bytes % 1048576 = 0 THEN (p_max_bytes / 1048576) || ' MiB'
                   WHEN p_max_bytes >= 1024 AND p_max_bytes % 1024 = 0 THEN (p_max_bytes / 1024) || ' KiB'
                   ELSE p_max_bytes || ' bytes' END
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_language_tag AND p_value !~ '^[A-Za-z][A-Za-z0-9_-]*$' THEN
        RAISE EXCEPTION '%: expected a language tag such as sv or en-GB (letters, digits, - or _)', p_argument
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;
