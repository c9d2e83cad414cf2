--
-- The where language, operator by operator, with RushDB's semantics
-- (docs/where-filter.md): plain values and null, arrays, $eq $ne $in $nin
-- (null inside them), case rules of the string operators, $type on
-- __proptypes, $id, datetime component objects, and the logical operators
-- in array and object form, at filter level and inside a property. Every
-- answer below was worked out by hand from the six records.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql

SELECT rushdb.create_index('W', 'v', 'external', 'cosine', 2) IS NOT NULL AS index_created;
SELECT jsonb_array_length(rushdb.create_records('W', '[
  {"name": "a", "n": 5, "s": "Hello World", "tags": ["x", "y"], "born": "2024-05-01", "flag": true,
   "$vectors": [{"propertyName": "v", "vector": [1, 0]}]},
  {"name": "b", "n": "5", "s": "hello", "tags": ["x"], "born": "2024-05-01T00:00:00.5Z",
   "$vectors": [{"propertyName": "v", "vector": [1, 0.1]}]},
  {"name": "c", "n": 10, "tags": [], "born": "2023-12-31T23:59:59Z",
   "$vectors": [{"propertyName": "v", "vector": [1, 0.2]}]},
  {"name": "d", "s": "HELLO there", "born": "not a date",
   "$vectors": [{"propertyName": "v", "vector": [1, 0.3]}]},
  {"name": "e", "n": null,
   "$vectors": [{"propertyName": "v", "vector": [1, 0.4]}]},
  {"name": "f", "n": [1, 2, 3], "s": ["Ab", "cd"],
   "$vectors": [{"propertyName": "v", "vector": [1, 0.5]}]}]')) AS created;
SELECT properties ->> 'name' AS name, proptypes FROM rushdb.records WHERE label = 'W' ORDER BY 1;

-- The names a filter keeps, in name order (every record is within the limit).
CREATE FUNCTION pg_temp.names(w text) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(r ->> 'name', ',' ORDER BY r ->> 'name'), '(none)')
    FROM jsonb_array_elements(rushdb.search(jsonb_build_object(
        'label', 'W', 'propertyName', 'v', 'queryVector', '[1, 0]'::jsonb, 'limit', 100, 'where', w::jsonb))) r
$$;
SELECT id AS a_id FROM rushdb.records WHERE label = 'W' AND properties ->> 'name' = 'a' \gset

-- (Record ids differ per run: shown as <id>.)
SELECT regexp_replace(w, '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}', '<id>', 'g') AS "where",
       pg_temp.names(w) AS names FROM (VALUES
    -- plain values, $eq and null (absent)
    ('{"n": 5}'), ('{"n": {"$eq": 5}}'), ('{"n": "5"}'), ('{"n": 5.0}'), ('{"flag": true}'),
    ('{"n": null}'), ('{"n": {"$eq": null}}'), ('{"n": {"$ne": null}}'),
    -- $ne: some value differs; absent never matches
    ('{"n": {"$ne": 5}}'), ('{"tags": {"$ne": "x"}}'), ('{"$not": {"tags": "x"}}'),
    -- $in / $nin, with null meaning absent
    ('{"n": {"$in": [5, 10]}}'), ('{"n": {"$in": [5, null]}}'), ('{"n": {"$in": [null]}}'), ('{"n": {"$in": []}}'),
    ('{"n": {"$nin": [5]}}'), ('{"n": {"$nin": [5, null]}}'), ('{"n": {"$nin": []}}'), ('{"tags": {"$nin": ["y"]}}'),
    -- plain arrays need every element
    ('{"tags": ["x", "y"]}'), ('{"tags": ["x"]}'), ('{"n": [{"$gt": 1}, {"$lt": 3}]}'),
    -- strings: $contains ignores ASCII case and takes its operand literally
    ('{"s": {"$contains": "hello"}}'), ('{"s": {"$contains": "WORLD"}}'), ('{"s": {"$contains": "."}}'),
    ('{"s": {"$contains": "AB"}}'), ('{"s": {"$startsWith": "hello"}}'), ('{"s": {"$startsWith": "H"}}'),
    ('{"s": {"$endsWith": "D"}}'), ('{"n": {"$contains": "5"}}'),
    -- numbers and datetimes
    ('{"n": {"$gt": 4}}'), ('{"n": {"$lte": 2}}'),
    ('{"born": {"$year": 2024, "$month": 5}}'), ('{"born": {"$eq": {"$year": 2024, "$month": 5, "$day": 1}}}'),
    ('{"born": {"$ne": {"$year": 2024, "$month": 5}}}'),
    ('{"born": {"$gte": {"$year": 2024}}}'), ('{"born": {"$lt": {"$year": 2024}}}'),
    ('{"born": {"$gt": {"$year": 2024, "$month": 5, "$day": 1, "$hour": 0, "$minute": 0, "$second": 0, "$millisecond": 499}}}'),
    ('{"born": {"$in": [{"$year": 2023, "$month": 12, "$day": 31, "$hour": 23, "$minute": 59, "$second": 59}, "not a date"]}}'),
    ('{"born": {"$gte": "2024-05-01", "$lt": {"$year": 2024, "$month": 6}}}'),
    -- $type: the type __proptypes records
    ('{"born": {"$type": "datetime"}}'), ('{"born": {"$type": "string"}}'), ('{"n": {"$type": "number"}}'),
    ('{"n": {"$type": "string"}}'), ('{"n": {"$type": "null"}}'), ('{"flag": {"$type": "boolean"}}'),
    ('{"$not": {"n": {"$type": "number"}}}'), ('{"$xor": [{"n": {"$type": "number"}}, {"name": "e"}]}'),
    -- logical operators: object and array forms, $nor, $xor, $not over several
    ('{"$or": {"name": "a", "n": 10}}'), ('{"$or": [{"name": "a"}, {"n": 10}]}'), ('{"$and": {"n": {"$gt": 1}, "tags": "x"}}'),
    ('{"$nor": [{"name": "a"}, {"name": "b"}]}'), ('{"$nor": {"tags": "x", "n": null}}'),
    ('{"$xor": [{"tags": "x"}, {"s": {"$contains": "hello"}}]}'),
    ('{"$xor": [{"name": "a"}, {"name": {"$in": ["a", "b"]}}, {"name": {"$in": ["a", "b", "c"]}}]}'),
    ('{"$not": [{"tags": "x"}, {"n": 5}]}'), ('{"$not": {"tags": "x", "n": 5}}'),
    -- logical operators inside a property
    ('{"n": {"$or": [{"$lt": 3}, {"$gt": 8}]}}'), ('{"n": {"$or": {"$lt": 3, "$gt": 8}}}'), ('{"name": {"$or": ["a", "d"]}}'),
    ('{"n": {"$not": {"$gt": 4}}}'), ('{"name": {"$nor": ["a", "b", "c"]}}'), ('{"name": {"$not": "a"}}'),
    -- $id
    ('{"$id": "' || :'a_id' || '"}'), ('{"$id": "' || upper(:'a_id') || '"}'),
    ('{"$id": {"$nin": ["' || :'a_id' || '"]}, "name": {"$in": ["a", "b"]}}'),
    ('{"$or": [{"$id": "' || :'a_id' || '"}, {"name": "f"}]}'), ('{"$id": {"$in": []}}')
) AS t(w);

-- Errors name the place and say what to write.
SELECT pg_temp.expect_error(format($$SELECT rushdb.search('W', 'v', '[1,0]', "where" => %L)$$, w)) FROM (VALUES
    ('{"n": {"$type": "vector"}}'), ('{"born": {"$month": 5}}'), ('{"born": {"$year": 2024, "$day": 2}}'),
    ('{"born": {"$year": 2023, "$month": 2, "$day": 29}}'), ('{"born": {"$year": 2024, "$gt": 1}}'),
    ('{"$id": "nope"}'), ('{"$id": {"$gt": "x"}}'), ('{"n": {"$eq": [1]}}'), ('{"n": []}'),
    ('{"$or": []}'), ('{"$xor": 5}'), ('{"n": {"$regex": "x"}}'), ('{"n": {"$in": [[1]]}}')
) AS t(w);
