-- Helpers the compiled where-filters call (contract: docs/where-filter.md).

-- A property's value, or each element when it is an array; nothing when the
-- property is absent or null. No SET search_path (it would stop PostgreSQL
-- from inlining this into the query); every name is schema-qualified instead.
CREATE FUNCTION rushdb.prop_values(properties jsonb, key text) RETURNS SETOF jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT e FROM pg_catalog.jsonb_array_elements(properties OPERATOR(pg_catalog.->) key) e
    WHERE pg_catalog.jsonb_typeof(properties OPERATOR(pg_catalog.->) key) OPERATOR(pg_catalog.=) 'array'
    UNION ALL
    SELECT properties OPERATOR(pg_catalog.->) key
    WHERE pg_catalog.jsonb_typeof(properties OPERATOR(pg_catalog.->) key) OPERATOR(pg_catalog.<>) ALL (ARRAY['array', 'null'])
$$;

-- The instant an ISO-8601 date or datetime string denotes (a date is
-- midnight UTC, a missing offset is UTC, as the compiler binds operands);
-- NULL for any other string, so it never matches a datetime comparison.
CREATE FUNCTION rushdb.try_timestamptz(value text) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'rushdb_try_timestamptz' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
