--
-- rushdb.find (docs/find.md): labels, where, orderBy (numbers as numbers,
-- datetimes as instants, ties by __id), skip/limit, total; select per
-- record and with groupBy ($count $sum $avg $min $max, math, $ref,
-- $timeBucket, $collect), the deprecated aggregate form, errors, row-level
-- security, and the plans property indexes give. Every answer below was
-- worked out by hand from the records.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql

-- Names of the records a find returns, in order, and its total.
CREATE FUNCTION pg_temp.names(q jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce((SELECT string_agg(coalesce(e ->> 'name', '-'), ' ' ORDER BY o)
            FROM jsonb_array_elements(f -> 'data') WITH ORDINALITY AS t(e, o)), '') || ' | total ' || (f ->> 'total')
    FROM rushdb.find(q) f
$$;
-- The rows of a find, one per line, without the record fields.
CREATE FUNCTION pg_temp.rows(q jsonb) RETURNS SETOF jsonb LANGUAGE sql AS $$
    SELECT e - '__id' - '__label' - '__proptypes' FROM rushdb.find(q) f, jsonb_array_elements(f -> 'data') WITH ORDINALITY AS t(e, o) ORDER BY o
$$;

SELECT jsonb_array_length(rushdb.create_records('E', '[
  {"name": "ann", "dept": "eng", "salary": 120, "hired": "2020-03-15T09:00:00Z", "skills": ["c", "go"]},
  {"name": "bob", "dept": "eng", "salary": 100, "hired": "2021-07-01"},
  {"name": "cy", "dept": "ops", "salary": 90, "hired": "2019-11-30T23:00:00-05:00"},
  {"name": "di", "dept": "ops", "salary": "n/a"},
  {"name": "ed", "dept": "sales", "salary": 70, "hired": "2022-01-10T00:00:00+02:00"},
  {"name": "fay", "salary": [50, 200]}]')) AS created;
SELECT rushdb.create_record('Other', '{"name": "zz", "salary": 1000}') IS NOT NULL AS created;

-- Paging and the default order (__id descending: newest first).
SELECT pg_temp.names('{"labels": ["E"]}');
SELECT pg_temp.names('{"labels": ["E"], "orderBy": "asc", "limit": 2, "skip": 1}');
SELECT pg_temp.names('{"labels": ["E"], "skip": 10}');
SELECT pg_temp.names('{}');
-- Numbers by value, then strings, then arrays; absent records last going
-- up and first going down (a missing value sorts as the largest, as in
-- RushDB on Neo4j, and one index serves both directions).
SELECT pg_temp.names('{"labels": ["E"], "orderBy": {"salary": "asc"}}');
SELECT pg_temp.names('{"labels": ["E"], "orderBy": {"salary": "desc"}}');
-- Datetimes as instants: cy's 23:00 at -05:00 is 04:00 UTC the next day.
SELECT pg_temp.names('{"labels": ["E"], "orderBy": {"hired": "desc"}}');
-- Ties (dept) by __id descending; fay has no dept.
SELECT pg_temp.names('{"labels": ["E"], "orderBy": {"dept": "ASC"}}');

-- Filters; total counts every match.
SELECT pg_temp.names('{"labels": ["E"], "where": {"dept": {"$in": ["eng", "ops"]}}, "limit": 1}');
-- fay's [50, 200] has a value >= 90 and a value < 150.
SELECT pg_temp.names('{"labels": ["E"], "where": {"salary": {"$gte": 90, "$lt": 150}}, "orderBy": {"salary": "asc"}}');
-- An empty window: only an array can have a value above 150 and one below 60.
SELECT pg_temp.names('{"labels": ["E"], "where": {"salary": {"$gt": 150, "$lt": 60}}}');
SELECT pg_temp.names('{"labels": ["E"], "where": {"salary": {"$gt": 100}}}');
SELECT pg_temp.names('{"labels": ["E"], "where": {"salary": {"$lte": 70}}}');
SELECT pg_temp.names('{"labels": ["E"], "where": {"hired": {"$gte": "2020-01-01", "$lt": {"$year": 2022}}}}');
SELECT pg_temp.names('{"labels": ["E"], "where": {"hired": {"$lt": "2019-12-01T04:00:00Z"}}}');
SELECT pg_temp.names('{"labels": ["E"], "where": {"hired": {"$lte": "2019-12-01T04:00:00Z"}}}');
SELECT pg_temp.names('{"labels": ["E", "Other"], "where": {"salary": {"$gte": 1000}}}');
SELECT pg_temp.names('{"where": {"salary": {"$gte": 1000}}}');
SELECT pg_temp.names('{"labels": ["Nobody"]}');

-- select without groupBy: each record with the keys, aggregates over the
-- record itself (as RushDB's per-record aggregation over $record).
SELECT * FROM pg_temp.rows('{"labels": ["E"], "where": {"dept": "eng"},
    "select": {"pay": "$record.salary", "double": {"$multiply": ["$record.salary", 2]},
               "one": {"$count": "*"}, "me": {"$collect": {"from": "$record", "select": {"n": "$record.name"}}}},
    "orderBy": {"double": "desc"}}');

-- groupBy on a field: one row per value (null: records without it).
SELECT * FROM pg_temp.rows('{"labels": ["E"],
    "select": {"n": {"$count": "*"}, "total": {"$sum": "$record.salary"}, "avg": {"$avg": "$record.salary", "$precision": 1},
               "top": {"$max": "$record.salary"}, "low": {"$min": "$record.salary"}, "first": {"$min": "$record.hired"}},
    "groupBy": ["$record.dept"], "orderBy": {"n": "desc"}}');
-- Self-group: select keys in groupBy give one row over every match.
SELECT * FROM pg_temp.rows('{"labels": ["E"], "select": {"total": {"$sum": "$record.salary"}, "people": {"$count": "*"}},
    "groupBy": ["total", "people"]}');
SELECT * FROM pg_temp.rows('{"labels": ["Nobody"], "select": {"total": {"$sum": "$record.salary"}}, "groupBy": ["total"]}');
-- $ref and math over the aggregates; $count of a field counts distinct values.
SELECT * FROM pg_temp.rows('{"labels": ["E"],
    "select": {"total": {"$sum": "$record.salary"}, "n": {"$count": "$record.salary"},
               "mean": {"$divide": [{"$ref": "total"}, {"$ref": "n"}]}},
    "groupBy": ["$record.dept"], "orderBy": {"mean": "desc"}}');
-- Time buckets (UTC, epoch milliseconds) with the records of each.
SELECT * FROM pg_temp.rows('{"labels": ["E"], "where": {"hired": {"$exists": true}},
    "select": {"since": {"$timeBucket": {"field": "$record.hired", "unit": "years", "size": 2}}, "n": {"$count": "*"},
               "who": {"$collect": {"from": "$record", "select": {"name": "$record.name"}, "orderBy": {"name": "desc"}}}},
    "groupBy": ["since"], "orderBy": {"since": "asc"}}');
SELECT * FROM pg_temp.rows('{"labels": ["E"], "where": {"name": "cy"},
    "select": {"day": {"$timeBucket": {"field": "$record.hired", "unit": "day"}},
               "week": {"$timeBucket": {"field": "$record.hired", "unit": "week"}},
               "q": {"$timeBucket": {"field": "$record.hired", "unit": "quarter"}},
               "h6": {"$timeBucket": {"field": "$record.hired", "unit": "hours", "size": 6}}}}');
-- $collect pages the group's records: skip 1, limit 1, whole records.
SELECT r -> 'dept' AS dept, jsonb_path_query_array(r -> 'people', '$[*].name') AS people FROM pg_temp.rows('{"labels": ["E"],
    "select": {"people": {"$collect": {"from": "$record", "orderBy": {"salary": "desc"}, "skip": 1, "limit": 1}}},
    "groupBy": ["$record.dept"]}') r;
-- The deprecated aggregate form.
SELECT * FROM pg_temp.rows('{"labels": ["E"], "aggregate": {"n": {"fn": "count", "alias": "$record"},
    "avgSalary": {"fn": "avg", "field": "salary", "alias": "$record", "precision": 0}},
    "groupBy": ["$record.dept"], "orderBy": {"n": "desc"}}');

-- Aggregated and grouped datetimes order as instants too: x's 10:00+09:00
-- is 01:00 UTC, before y's 05:00Z (as strings, y would come first).
SELECT jsonb_array_length(rushdb.create_records('H', '[{"d": "x", "at": "2024-01-01T10:00:00+09:00"},
    {"d": "y", "at": "2024-01-01T05:00:00Z"}, {"d": null, "at": "2024-01-02"}, {"at": "2024-01-03"}]')) AS created;
SELECT * FROM pg_temp.rows('{"labels": ["H"], "select": {"a": {"$max": "$record.at"}}, "groupBy": ["$record.d"], "orderBy": {"a": "asc"}}');
SELECT * FROM pg_temp.rows('{"labels": ["H"], "select": {"t": "$record.at", "n": {"$count": "*"}}, "groupBy": ["t"], "orderBy": {"t": "asc"}, "limit": 2}');
SELECT r ->> 'd' AS d, r ->> 'a' AS a FROM pg_temp.rows('{"labels": ["H"], "select": {"a": {"$min": "$record.at"}}, "orderBy": {"$record.a": "asc", "a": "desc"}}') r;
-- A null value and an absent one are one group (d: null, and no d).
SELECT * FROM pg_temp.rows('{"labels": ["H"], "select": {"n": {"$count": "*"}}, "groupBy": ["$record.d"], "orderBy": {"n": "desc"}}');
-- Buckets of 3,000 years start at year 1, not year 0.
SELECT * FROM pg_temp.rows('{"labels": ["H"], "select": {"b": {"$timeBucket": {"field": "$record.at", "unit": "years", "size": 3000}},
    "n": {"$count": "*"}}, "groupBy": ["b"]}');

-- Errors: what was wrong, where.
SELECT pg_temp.expect_error(format('SELECT rushdb.find(%L)', q)) FROM (VALUES
    ('{"labels": ["E"], "limitt": 5}'),
    ('{"limit": 0}'),
    ('{"limit": 1001}'),
    ('{"skip": -1}'),
    ('{"limit": 2.5}'),
    ('{"orderBy": {"name": "up"}}'),
    ('{"orderBy": 5}'),
    ('{"labels": "E"}'),
    ('{"labels": [""]}'),
    ('{"where": []}'),
    ('{"where": {"salary": {"$gt": "soon"}}}'),
    ('{"select": {"__x": "$record.name"}}'),
    ('{"select": {"x": "name"}}'),
    ('{"select": {"x": "$emp.name"}}'),
    ('{"select": {"x": {"$median": "$record.salary"}}}'),
    ('{"select": {"x": {"$sum": {"$avg": "$record.salary"}}}, "groupBy": ["x"]}'),
    ('{"select": {"x": {"$divide": [1]}}}'),
    ('{"select": {"a": {"$ref": "b"}, "b": {"$ref": "a"}}}'),
    ('{"select": {"a": {"$ref": "zzz"}}}'),
    ('{"select": {"t": {"$timeBucket": {"field": "$record.hired", "unit": "fortnight"}}}}'),
    ('{"select": {"t": {"$timeBucket": {"field": "$record.hired", "unit": "months"}}}}'),
    ('{"select": {"t": {"$timeBucket": {"field": "$record.hired", "unit": "day", "size": 2}}}}'),
    ('{"select": {"c": {"$collect": {"label": "Dept"}}}}'),
    ('{"select": {"c": {"$collect": {"from": "$record", "limit": 5000}}}}'),
    ('{"select": {"n": {"$count": "*"}}, "aggregate": {"m": {"fn": "count"}}}'),
    ('{"aggregate": {"s": {"fn": "vector.similarity.cosine", "field": "v", "query": [1]}}}'),
    ('{"aggregate": {"s": {"fn": "median", "field": "v"}}}'),
    ('{"groupBy": ["$record.dept"]}'),
    ('{"select": {"n": {"$count": "*"}}, "groupBy": ["dept"]}'),
    ('{"select": {"n": {"$count": "*"}}, "groupBy": ["$record.dept"], "orderBy": {"name": "asc"}}'),
    ('{"select": {"n": {"$count": "*"}}, "groupBy": ["$record.dept"], "orderBy": "asc"}'),
    ('{"select": {"x": {"$add": [{"$sum": "$record.salary"}, "$record.salary"]}}, "groupBy": ["$record.dept"]}'),
    ('{"select": {"k0": "$record.v", "k1": {"$add": [{"$ref": "k0"}, {"$ref": "k0"}]}, "k2": {"$add": [{"$ref": "k1"}, {"$ref": "k1"}]},
       "k3": {"$add": [{"$ref": "k2"}, {"$ref": "k2"}]}, "k4": {"$add": [{"$ref": "k3"}, {"$ref": "k3"}]},
       "k5": {"$add": [{"$ref": "k4"}, {"$ref": "k4"}]}, "k6": {"$add": [{"$ref": "k5"}, {"$ref": "k5"}]},
       "k7": {"$add": [{"$ref": "k6"}, {"$ref": "k6"}]}, "k8": {"$add": [{"$ref": "k7"}, {"$ref": "k7"}]}}}'),
    ('{"orderBy": {"$emp.name": "asc"}}'),
    ('{"select": {"t": "$record.__proptypes"}}'),
    ('[1, 2]')) AS t(q);
SELECT pg_temp.expect_error('SELECT rushdb.find(NULL)');

-- Row-level security on rushdb.records holds: a reader sees eng only.
CREATE ROLE find_reader;
GRANT USAGE ON SCHEMA rushdb, rushdb_internal TO find_reader;
GRANT SELECT ON rushdb.records TO find_reader;
ALTER TABLE rushdb.records ENABLE ROW LEVEL SECURITY;
CREATE POLICY eng_only ON rushdb.records FOR SELECT TO find_reader USING (properties ->> 'dept' = 'eng');
SET ROLE find_reader;
SELECT pg_temp.names('{"labels": ["E"]}');
SELECT * FROM pg_temp.rows('{"labels": ["E"], "select": {"n": {"$count": "*"}}, "groupBy": ["n"]}');
-- Property indexes are granted, not given; the door checks the caller too.
SELECT pg_temp.expect_error($$SELECT rushdb.create_property_index('salary')$$);
SELECT pg_temp.expect_error($$SELECT rushdb_internal.privileged('create_property_index', '{"propertyName": "salary", "kinds": ["num"]}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb_internal.privileged('drop_property_index', '{"propertyName": "salary"}')$$);
RESET ROLE;
DROP POLICY eng_only ON rushdb.records;
ALTER TABLE rushdb.records DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON rushdb.records FROM find_reader;
REVOKE ALL ON SCHEMA rushdb, rushdb_internal FROM find_reader;
DROP ROLE find_reader;

-- Plans. 5,000 records with a number, a datetime and a category; with the
-- property indexes a range, an ordering and an equality are index scans.
INSERT INTO rushdb.records (id, label, properties, proptypes)
SELECT rushdb.uuid_v7(), 'Big', jsonb_build_object('n', i, 'cat', 'c' || (i % 50),
       'at', to_char(timestamp '2024-01-01' + i * interval '1 hour', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
       '{"n": "number", "cat": "string", "at": "datetime"}'
FROM generate_series(1, 5000) i;
SELECT rushdb.create_property_index('n') -> 'created' AS created;
SELECT rushdb.create_property_index('at', ARRAY['time']) -> 'created' AS created;
SELECT rushdb.create_property_index('at', ARRAY['time']) -> 'created' AS again;
SELECT e ->> 'propertyName' AS property, e ->> 'kind' AS kind FROM jsonb_array_elements(rushdb.property_indexes()) e;
SELECT pg_temp.names('{"labels": ["Big"], "where": {"n": {"$gte": 4998}}}') ~ '^- - - \| total 3$' AS range_answer;
SELECT rushdb.explain_find('{"labels": ["Big"], "where": {"n": {"$gte": 100, "$lt": 103}}, "limit": 10}');
SELECT rushdb.explain_find('{"labels": ["Big"], "where": {"at": {"$gte": "2024-03-01", "$lt": "2024-03-01T02:00:00Z"}}}');
-- orderBy without a filter: the sort index, read backwards, gives the order.
SELECT rushdb.explain_find('{"labels": ["Big"], "orderBy": {"n": "desc"}, "limit": 5}');
-- Without a range index a range is tested value by value (an EXISTS the
-- planner estimates as broad), never as an overlap it cannot estimate.
SELECT bool_or(line LIKE '%number_range%') AS overlap, bool_or(line LIKE '%SubPlan%') AS per_value
FROM rushdb.explain_find('{"labels": ["Big"], "where": {"cat": {"$gt": 5}}}') line;
SELECT (rushdb.find('{"labels": ["Big"], "orderBy": {"n": "desc"}, "limit": 2}') -> 'data') @? '$[0] ? (@.n == 5000)' AS top_is_5000;
SELECT pg_temp.expect_error($$SELECT rushdb.create_property_index('__id')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_property_index('n', ARRAY['btree'])$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_property_index(NULL)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.drop_property_index(NULL)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.drop_property_index('')$$);
SELECT rushdb.drop_property_index('n') -> 'dropped' AS dropped;
SELECT rushdb.drop_property_index('at') -> 'dropped' AS dropped;
SELECT rushdb.property_indexes();
DELETE FROM rushdb.records WHERE label IN ('E', 'Other', 'Big', 'H');
