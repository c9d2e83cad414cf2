-- rushdb.find: RushDB's records.find (docs/find.md), and the helpers its
-- generated queries call. The query is compiled in C++ (src/core/query and
-- src/core/filter) and runs with the caller's rights.

-- An order-preserving key for a property value: [rank, sortable, value]
-- with numbers first (by value), then datetimes (by instant; `type` is the
-- value's __proptypes entry), strings, booleans, arrays, objects; NULL for
-- an absent or null value. jsonb compares arrays element by element, so
-- ORDER BY sort_key(...) sorts every type correctly and ties are broken by
-- the value itself.
CREATE OR REPLACE FUNCTION rushdb_internal.sort_key(value jsonb, type text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'rushdb_sort_key' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION rushdb_internal.jsonb_smaller(a jsonb, b jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'rushdb_jsonb_smaller' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rushdb_internal.jsonb_larger(a jsonb, b jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'rushdb_jsonb_larger' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The least / greatest sort key of a group ($min / $max read its value, -> 2).
CREATE OR REPLACE AGGREGATE rushdb_internal.min_value(jsonb) (
    SFUNC = rushdb_internal.jsonb_smaller, STYPE = jsonb, COMBINEFUNC = rushdb_internal.jsonb_smaller,
    PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE rushdb_internal.max_value(jsonb) (
    SFUNC = rushdb_internal.jsonb_larger, STYPE = jsonb, COMBINEFUNC = rushdb_internal.jsonb_larger,
    PARALLEL = SAFE);

-- $timeBucket: the start of the UTC bucket holding an ISO-8601 datetime, in
-- milliseconds since 1970 (as RushDB's select returns it); NULL for text
-- that is not a datetime. Plural units group `size` units, counted from
-- the start of the enclosing day, hour or minute (months from January,
-- years from year 0, a bucket that would start before year 1 from year 1).
CREATE OR REPLACE FUNCTION rushdb_internal.time_bucket(value text, unit text, size integer) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT (extract(epoch FROM CASE unit
                WHEN 'second' THEN date_trunc('second', t)
                WHEN 'minute' THEN date_trunc('minute', t)
                WHEN 'hour' THEN date_trunc('hour', t)
                WHEN 'day' THEN date_trunc('day', t)
                WHEN 'week' THEN date_trunc('week', t)
                WHEN 'month' THEN date_trunc('month', t)
                WHEN 'quarter' THEN date_trunc('quarter', t)
                WHEN 'year' THEN date_trunc('year', t)
                WHEN 'seconds' THEN date_trunc('minute', t)
                    + make_interval(secs => size * (floor(extract(second FROM t))::integer / size))
                WHEN 'minutes' THEN date_trunc('hour', t)
                    + make_interval(mins => size * (extract(minute FROM t)::integer / size))
                WHEN 'hours' THEN date_trunc('day', t)
                    + make_interval(hours => size * (extract(hour FROM t)::integer / size))
                WHEN 'months' THEN make_timestamp(extract(year FROM t)::integer,
                    1 + size * ((extract(month FROM t)::integer - 1) / size), 1, 0, 0, 0)
                WHEN 'years' THEN make_timestamp(greatest(1, size * (extract(year FROM t)::integer / size)), 1, 1, 0, 0, 0)
            END) * 1000)::bigint
    FROM (SELECT rushdb_internal.try_timestamptz(value) AT TIME ZONE 'UTC' AS t) s
$$;

CREATE OR REPLACE FUNCTION rushdb.find(query jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'rushdb_find' LANGUAGE C STABLE;

COMMENT ON FUNCTION rushdb.find(jsonb) IS
    'Records matching {labels, where}, ordered and paged, or shaped by select/groupBy: {"data": [...], "total": N}';

-- EXPLAIN (COSTS OFF) of the query find runs for a request (the page, then
-- the total), planned for the request's values: which indexes serve it.
-- VOLATILE only because PostgreSQL runs EXPLAIN only from volatile functions.
CREATE OR REPLACE FUNCTION rushdb.explain_find(query jsonb) RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'rushdb_explain_find' LANGUAGE C VOLATILE;

COMMENT ON FUNCTION rushdb.explain_find(jsonb) IS
    'The plans of the queries rushdb.find runs for a request (EXPLAIN (COSTS OFF))';
