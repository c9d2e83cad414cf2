-- Helpers the compiled where-filters call (contract: docs/where-filter.md).

-- A property's value, or each element when it is an array; nothing when the
-- property is absent or null.
CREATE FUNCTION rushdb.prop_values(properties jsonb, key text) RETURNS SETOF jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT e FROM jsonb_array_elements(properties -> key) e WHERE jsonb_typeof(properties -> key) = 'array'
    UNION ALL
    SELECT properties -> key WHERE jsonb_typeof(properties -> key) NOT IN ('array', 'null')
$$;

-- The timestamp an ISO-8601 date or datetime string denotes; NULL for any
-- other string (so it never matches a datetime comparison).
CREATE FUNCTION rushdb.try_timestamptz(value text) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF value !~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$' THEN
        RETURN NULL;
    END IF;
    RETURN value::timestamptz;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END $$;
