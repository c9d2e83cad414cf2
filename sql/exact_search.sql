--
-- rushdb.exact_top_k: exact nearest neighbours by one pass over a table.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql

CREATE TABLE exact_items (id int PRIMARY KEY, label text, v vector);
INSERT INTO exact_items
SELECT i, 'l' || (i % 3), ARRAY[sin(i), cos(i * 1.7), sin(i * 0.3)] FROM generate_series(1, 500) i;
INSERT INTO exact_items VALUES (501, 'zero', '[0,0,0]'), (502, 'null', NULL);

-- Same answer as ORDER BY ... LIMIT for every metric, closest first.
CREATE FUNCTION pg_temp.agrees(metric text, op text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE a int[]; b int[];
BEGIN
    SELECT array_agg(i.id ORDER BY e.distance, i.id) INTO a
    FROM rushdb.exact_top_k('exact_items', 'v', '[0.5,0.5,0.1]', 15, metric) e
    JOIN exact_items i ON i.ctid = e.row_tid;
    EXECUTE format('SELECT array_agg(id ORDER BY d, id) FROM (SELECT id, v %s ''[0.5,0.5,0.1]'' AS d
                    FROM exact_items WHERE v IS NOT NULL AND NOT (v %s ''[0.5,0.5,0.1]'') = ''NaN''
                    ORDER BY d, id LIMIT 15) s', op, op) INTO b;
    RETURN a = b;
END $$;
SELECT pg_temp.agrees('l2', '<->') AS l2, pg_temp.agrees('cosine', '<=>') AS cosine,
       pg_temp.agrees('inner_product', '<#>') AS ip, pg_temp.agrees('l1', '<+>') AS l1,
       pg_temp.agrees('euclidean', '<->') AS euclidean;
SELECT round(distance::numeric, 6) AS distance
FROM rushdb.exact_top_k('exact_items', 'v', '[1,0,0]', 3, 'l2');
-- Fewer rows than k: all of them (NULL vectors skipped, zero vector has no cosine).
SELECT count(*) FROM rushdb.exact_top_k('exact_items', 'v', '[1,0,0]', 100000, 'l2');
SELECT count(*) FROM rushdb.exact_top_k('exact_items', 'v', '[1,0,0]', 100000, 'cosine');
-- Deleted rows are not seen (the scan uses the query's snapshot).
DELETE FROM exact_items WHERE id <= 250;
SELECT count(*) FROM rushdb.exact_top_k('exact_items', 'v', '[1,0,0]', 100000, 'l2');

-- Errors.
SELECT pg_temp.expect_error($$SELECT * FROM rushdb.exact_top_k('exact_items', 'v', '[1,0,0]', 0)$$);
SELECT pg_temp.expect_error($$SELECT * FROM rushdb.exact_top_k('exact_items', 'v', '[1,0,0]', 100001)$$);
SELECT pg_temp.expect_error($$SELECT * FROM rushdb.exact_top_k('exact_items', 'v', '[1,0,0]', 5, 'hamming')$$);
SELECT pg_temp.expect_error($$SELECT * FROM rushdb.exact_top_k('exact_items', 'nope', '[1,0,0]', 5)$$);
SELECT pg_temp.expect_error($$SELECT * FROM rushdb.exact_top_k('exact_items', 'label', '[1,0,0]', 5)$$);
SELECT pg_temp.expect_error($$SELECT * FROM rushdb.exact_top_k('exact_items', 'v', '[1,0]', 5)$$);
SELECT pg_temp.expect_error($$SELECT * FROM rushdb.exact_top_k('exact_items_pkey', 'v', '[1,0,0]', 5)$$);
SELECT count(*) FROM rushdb.exact_top_k('exact_items', 'v', NULL, 5);

-- Caller's rights: no SELECT privilege, or row-level security, is refused.
CREATE ROLE regress_exact_reader;
GRANT USAGE ON SCHEMA rushdb TO regress_exact_reader;
SET ROLE regress_exact_reader;
SELECT pg_temp.expect_error($$SELECT * FROM rushdb.exact_top_k('exact_items', 'v', '[1,0,0]', 5)$$);
RESET ROLE;
GRANT SELECT ON exact_items TO regress_exact_reader;
ALTER TABLE exact_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY exact_l0 ON exact_items FOR SELECT TO regress_exact_reader USING (label = 'l0');
SET ROLE regress_exact_reader;
SELECT pg_temp.expect_error($$SELECT * FROM rushdb.exact_top_k('exact_items', 'v', '[1,0,0]', 5)$$);
-- The SQL form applies the policy.
SELECT count(*) = count(*) FILTER (WHERE label = 'l0') AS only_policy_rows
FROM (SELECT label FROM exact_items ORDER BY v <-> '[1,0,0]' LIMIT 20) s;
RESET ROLE;
DROP TABLE exact_items;
REVOKE USAGE ON SCHEMA rushdb FROM regress_exact_reader;
DROP ROLE regress_exact_reader;
