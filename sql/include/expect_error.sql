-- Shared by the pg_regress tests (\i :abs_srcdir/sql/include/..., with
-- abs_srcdir from PG_ABS_SRCDIR, which pg_regress sets): runs a statement and returns 'no error' or its
-- SQLSTATE and message, so an expected failure stays in the output without
-- aborting the test. Generated ids (UUIDs) differ per run: shown as <id>.
CREATE FUNCTION pg_temp.expect_error(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g');
END $$;
