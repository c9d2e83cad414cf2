-- Shared by the pg_regress tests (\i :abs_srcdir/sql/include/...): which
-- rushdb_hnsw indexes a query scanned, so a check that claims the index
-- answered can prove it in the same session.
--
-- hnsw_scans(plan): the rushdb_hnsw indexes an EXPLAIN text scans
-- ("Index Scan using <index> on ..."), comma-separated, '' for none.
CREATE FUNCTION pg_temp.hnsw_scans(plan text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(DISTINCT c.relname, ',' ORDER BY c.relname), '')
    FROM regexp_matches(plan, 'Index Scan (?:Backward )?using (\S+) on ', 'g') m
    JOIN pg_class c ON c.relname = m[1] JOIN pg_am a ON a.oid = c.relam AND a.amname = 'rushdb_hnsw'
$$;
-- scans_of(query): hnsw_scans of the query's EXPLAIN (COSTS OFF).
CREATE FUNCTION pg_temp.scans_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; plan text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP plan := plan || line || E'\n'; END LOOP;
    RETURN pg_temp.hnsw_scans(plan);
END $$;
-- run_scans(statement): runs a statement (CREATE TABLE AS, INSERT ...)
-- under EXPLAIN ANALYZE and returns hnsw_scans of the plan that ran.
CREATE FUNCTION pg_temp.run_scans(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; plan text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || statement LOOP
        plan := plan || line || E'\n';
    END LOOP;
    RETURN pg_temp.hnsw_scans(plan);
END $$;
-- via(index, query): the first column of a query's rows, comma-separated
-- ('(no rows)' for none), when its plan scans `index`; otherwise an error
-- that shows the plan.
CREATE FUNCTION pg_temp.via(index text, query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; plan text := ''; result text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP plan := plan || line || E'\n'; END LOOP;
    IF NOT (index = ANY (string_to_array(pg_temp.hnsw_scans(plan), ','))) THEN
        RAISE EXCEPTION 'the query does not scan %', index USING DETAIL = plan;
    END IF;
    EXECUTE format('SELECT string_agg(r.c::text, '','') FROM (%s) r(c)', query) INTO result;
    RETURN coalesce(result, '(no rows)');
END $$;
-- with_hnsw_scans(query): runs a query that returns one value (shown as
-- text) and reports which rushdb_hnsw indexes it scanned, from this
-- transaction's scan counters: for queries planned out of EXPLAIN's reach,
-- such as the one rushdb.search prepares and runs inside.
CREATE FUNCTION pg_temp.with_hnsw_scans(query text, OUT result text, OUT scanned regclass[])
LANGUAGE plpgsql AS $$
DECLARE before jsonb;
BEGIN
    SELECT coalesce(jsonb_object_agg(c.oid::text, pg_stat_get_xact_numscans(c.oid)), '{}') INTO before
    FROM pg_class c JOIN pg_am a ON a.oid = c.relam AND a.amname = 'rushdb_hnsw';
    EXECUTE query INTO result;
    SELECT coalesce(array_agg(c.oid::regclass ORDER BY c.oid), '{}') INTO scanned
    FROM pg_class c JOIN pg_am a ON a.oid = c.relam AND a.amname = 'rushdb_hnsw'
    WHERE pg_stat_get_xact_numscans(c.oid) > coalesce((before ->> c.oid::text)::bigint, 0);
END $$;
