-- A time as text in UTC, for messages that a statement writes from a column, such as an
-- endpoint's "every delivery failed since <failing_since>". Citus refuses a function that is not
-- IMMUTABLE with a column reference inside the CASE of an UPDATE, and a timestamptz's own text
-- form depends on the session's TimeZone and DateStyle (STABLE). This one depends on neither: a
-- fixed zone and numeric patterns only, so IMMUTABLE is true of it. PL/pgSQL, so that the
-- planner does not inline it back into the STABLE calls it is made of.
CREATE FUNCTION utc_text(at timestamptz) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_function('utc_text(timestamptz)');
    END IF;
END
$$;
