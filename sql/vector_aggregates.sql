--
-- rushdb.vector: avg and sum, their support functions, parallel aggregation.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

-- SQLSTATE and message of a statement that is expected to fail.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql

-- The aggregates and their support functions.
SELECT a.aggfnoid::regprocedure AS aggregate, a.aggtransfn, a.aggcombinefn, a.aggfinalfn,
       a.aggtranstype::regtype, a.agginitval, p.proparallel
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE a.aggfnoid::regprocedure::text LIKE '%(vector)'
ORDER BY 1;

--
-- avg and sum.
--
CREATE TEMP TABLE agg (g int, v vector);
INSERT INTO agg VALUES
    (1, '[1,2,3]'), (1, '[3,2,1]'), (1, '[2,2,2]'), (1, NULL),
    (2, '[0.5,-1]'), (2, '[1.5,1]'),
    (3, NULL), (3, NULL),
    (4, '[1e-45,3.4028235e38]');
SELECT g, avg(v), sum(v), count(v), count(*) FROM agg GROUP BY g ORDER BY g;
SELECT avg(v) AS avg_1_3, sum(v) AS sum_1_3
FROM (VALUES ('[1,0]'::vector), ('[0,0]'), ('[0,1]')) t(v);
-- The sums are kept in double precision, the result is rounded to float32.
SELECT avg(v), sum(v)
FROM (VALUES ('[0.1,16777216]'::vector), ('[0.2,1]'), ('[0.3,1]')) t(v);
SELECT sum(v) AS ten_tenths, avg(v) AS avg_tenth
FROM (SELECT '[0.1,-0.1]'::vector AS v FROM generate_series(1, 10)) t;
-- Empty input and all-NULL input give NULL.
SELECT avg(v) IS NULL AS avg_null, sum(v) IS NULL AS sum_null FROM agg WHERE false;
SELECT avg(v) IS NULL AS avg_null, sum(v) IS NULL AS sum_null FROM agg WHERE g = 3;
SELECT avg(v), sum(v) FROM agg WHERE g = 42;
-- Filters, DISTINCT and ORDER BY inside the aggregate, window use.
SELECT avg(v) FILTER (WHERE g = 2) AS filtered, sum(DISTINCT v) FILTER (WHERE g = 1) AS distinct_sum
FROM agg;
SELECT g, v, sum(v) OVER (PARTITION BY g ORDER BY v ROWS UNBOUNDED PRECEDING) AS running_sum
FROM agg WHERE g IN (1, 2) AND v IS NOT NULL ORDER BY g, v;
-- Wide vectors.
SELECT vector_dims(avg(v)), vector_dims(sum(v)),
       avg(v) = array_fill(2, ARRAY[16000])::vector AS avg_ok,
       sum(v) = array_fill(6, ARRAY[16000])::vector AS sum_ok
FROM (SELECT array_fill(i, ARRAY[16000])::vector AS v FROM generate_series(1, 3) i) t;
-- Mismatched dimensions: 22023.
SELECT avg(v) FROM agg;
SELECT sum(v) FROM (VALUES ('[1,2]'::vector), ('[1,2,3]')) t(v);
SELECT pg_temp.expect_error($$SELECT avg(v) FROM (VALUES ('[1]'::vector), ('[1,2]')) t(v)$$) AS avg,
       pg_temp.expect_error($$SELECT sum(v) FROM (VALUES ('[1,2]'::vector), (NULL), ('[1]')) t(v)$$) AS sum;
-- Overflow of the float32 result: 22003 (avg stays in range).
SELECT sum(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]')) t(v);
SELECT sum(v) FROM (VALUES ('[1,-3e38]'::vector), ('[1,-3e38]')) t(v);
SELECT avg(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]')) t(v);
SELECT sum(v) FROM (VALUES ('[3.4028235e38]'::vector), ('[1e30]')) t(v);
SELECT pg_temp.expect_error($$SELECT sum(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]')) t(v)$$);

--
-- The support functions, called directly. The state is {count, sum_1, ..., sum_d}.
--
SELECT vector_accum('{0}', '[1,2]') AS first_row,
       vector_accum('{1,1,2}', '[3,4]') AS second_row,
       vector_combine('{1,1,2}', '{2,3,4}') AS combined,
       vector_combine('{0}', '{2,3,4}') AS empty_left,
       vector_combine('{2,3,4}', '{0}') AS empty_right,
       vector_combine('{0}', '{0}') AS both_empty;
SELECT vector_avg_final('{2,3,4}') AS avg, vector_sum_final('{2,3,4}') AS sum,
       vector_avg_final('{0}') IS NULL AS avg_empty, vector_sum_final('{0}') IS NULL AS sum_empty,
       vector_avg_final('{0,0,0}') IS NULL AS avg_zero_count;
-- Direct calls do not modify their arguments.
SELECT s, vector_accum(s, '[1]'), s FROM (VALUES ('{1,5}'::float8[])) t(s);
-- Errors: mismatched dimensions (22023), malformed state (22000), overflow (22003).
SELECT vector_accum('{1,1,2}', '[1,2,3]');
SELECT vector_combine('{1,1,2}', '{1,1,2,3}');
SELECT vector_accum('{}', '[1]');
SELECT vector_accum('{{0}}', '[1]');
SELECT vector_combine('{0}', '{1,NULL}');
SELECT vector_sum_final('{1,1e39}');
SELECT vector_avg_final('{1,-1e300}');
SELECT e, pg_temp.expect_error('SELECT ' || e)
FROM unnest(ARRAY[$$vector_accum('{1,1,2}', '[1,2,3]')$$, $$vector_combine('{1,1}', '{1,1,2}')$$,
                  $$vector_accum('{}', '[1]')$$, $$vector_avg_final('{}')$$,
                  $$vector_sum_final('{{1,2}}')$$, $$vector_combine('{1,NULL}', '{0}')$$,
                  $$vector_sum_final('{1,1e39}')$$]) e;

--
-- Parallel aggregation: partial states are combined with vector_combine.
--
CREATE TABLE agg_parallel (id int, v vector(4));
INSERT INTO agg_parallel
SELECT i, ARRAY[i % 7, (i % 11) - 5, i % 1000, 1]::vector FROM generate_series(1, 20000) i;
INSERT INTO agg_parallel VALUES (20001, NULL);
-- Statistics on id % 3, so the planner knows the GROUP BY makes 3 groups and
-- aggregates partially in each worker (without them it expects one group a
-- row and gathers raw rows instead: no partial state, no combine).
CREATE STATISTICS agg_parallel_k ON (id % 3) FROM agg_parallel;
ANALYZE agg_parallel;
-- A statement run under EXPLAIN ANALYZE, summed up: its aggregation steps
-- (Finalize / Partial), and the workers its Gather planned and launched
-- (with the partial states it collected when `states` is true).
CREATE FUNCTION pg_temp.parallel_run(statement text, states boolean DEFAULT true) RETURNS text LANGUAGE plpgsql AS $$
DECLARE plan jsonb; gather jsonb;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || statement INTO plan;
    gather := jsonb_path_query_first(plan, 'strict $.** ? (@."Node Type" like_regex "^Gather")');
    RETURN (SELECT string_agg(concat_ws(' ', n ->> 'Partial Mode', n ->> 'Strategy', n ->> 'Node Type'), ' <- ')
            FROM jsonb_path_query(plan, 'strict $.** ? (exists (@."Partial Mode"))') n)
        -- How many workers start depends on free background-worker slots
        -- (an embedding worker may hold one): at least one must.
        || format('; %s: %s workers planned, at least one launched: %s', gather ->> 'Node Type',
                  gather ->> 'Workers Planned', (gather ->> 'Workers Launched')::int >= 1)
        || CASE WHEN states THEN format(', two or more partial states combined: %s', (gather ->> 'Actual Rows')::int >= 2)
                ELSE '' END;
END $$;
-- Serial results first.
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM agg_parallel;
SELECT avg(v), sum(v), count(v) FROM agg_parallel;
CREATE TEMP TABLE serial_result AS SELECT avg(v) AS a, sum(v) AS s FROM agg_parallel;
CREATE TEMP TABLE serial_groups AS
SELECT id % 3 AS k, avg(v) AS a, sum(v) AS s FROM agg_parallel GROUP BY 1;
-- Then in parallel.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = on;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM agg_parallel;
SELECT avg(v), sum(v) FROM agg_parallel;
-- The results compared are those of the runs shown: the workers and the
-- leader each aggregate part of the table, the final step combines their
-- partial states.
SELECT pg_temp.parallel_run('CREATE TEMP TABLE parallel_result AS SELECT avg(v) AS a, sum(v) AS s FROM agg_parallel');
SELECT p.a = s.a AS avg_equal, p.s = s.s AS sum_equal FROM parallel_result p, serial_result s;
EXPLAIN (COSTS OFF) SELECT id % 3, avg(v), sum(v) FROM agg_parallel GROUP BY 1;
-- (A worker that started late may have no rows of some group: the number
-- of partial states gathered varies, so it is not shown.)
SELECT pg_temp.parallel_run('CREATE TEMP TABLE parallel_groups AS
    SELECT id % 3 AS k, avg(v) AS a, sum(v) AS s FROM agg_parallel GROUP BY 1', false);
SELECT count(*) AS groups, count(*) FILTER (WHERE p.a = s.a AND p.s = s.s) AS equal
FROM parallel_groups p JOIN serial_groups s USING (k);
-- Without the leader, every partial state comes from a worker.
SET parallel_leader_participation = off;
SELECT pg_temp.parallel_run('CREATE TEMP TABLE workers_result AS SELECT avg(v) AS a, sum(v) AS s FROM agg_parallel', false);
SELECT p.a = s.a AS avg_equal, p.s = s.s AS sum_equal FROM workers_result p, serial_result s;
RESET parallel_leader_participation;
-- A dimension mismatch in a parallel aggregate is reported, whether a worker
-- or the combine step meets it (which one, and so the order of the two
-- numbers in the message, depends on the scan: only the SQLSTATE is shown).
ALTER TABLE agg_parallel ALTER COLUMN v TYPE vector;
INSERT INTO agg_parallel VALUES (30001, '[1,2,3]');
SELECT split_part(pg_temp.expect_error('SELECT avg(v) FROM agg_parallel'), ':', 1) AS avg,
       split_part(pg_temp.expect_error('SELECT sum(v) FROM agg_parallel'), ':', 1) AS sum;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE agg_parallel;
-- The state functions are callable directly: a state is checked, not
-- trusted (more sums than a vector has dimensions crashed the distance
-- kernels through a wrapped dimension count; NaN made a NaN vector).
SELECT pg_temp.expect_error($$SELECT rushdb.vector_sum_final(array_fill(1::float8, ARRAY[40000]))$$);
SELECT pg_temp.expect_error($$SELECT rushdb.vector_avg_final(array_fill(1::float8, ARRAY[16002]))$$);
SELECT pg_temp.expect_error($$SELECT rushdb.vector_accum(array_fill(1::float8, ARRAY[16002]), '[1,2]')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.vector_combine('{1,2}', array_fill(1::float8, ARRAY[16002]))$$);
SELECT pg_temp.expect_error($$SELECT rushdb.vector_avg_final('{1,NaN}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.vector_sum_final('{1,2,NaN}')$$);
SELECT vector_dims(rushdb.vector_sum_final(array_fill(1::float8, ARRAY[16001]))) AS max_dims_state;
