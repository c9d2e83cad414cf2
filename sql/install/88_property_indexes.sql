-- Property indexes: what makes find (and a search's where filter) answer a
-- range or an ordering on a property from an index instead of reading every
-- record of the label. Equality, $in and $exists need none (the GIN index on
-- rushdb.records.properties serves them).
--
-- For a property, create_property_index makes, on rushdb.records:
--   <name>_num   GiST on number_range(properties, key)    $gt $gte $lt $lte on numbers
--   <name>_time  GiST on instant_range(properties, key)   the same on datetimes
--   <name>_sort  btree on (label, sort_key(properties -> key, proptypes ->> key))
--                orderBy on the property within a label
-- (`kinds` picks among them). Each index is named records_prop_<hash of the
-- property name>_<kind> and commented "rushdb property index: <property>";
-- the planner also reads its expression statistics, which is how it learns
-- how many records a range matches. CREATE INDEX takes a SHARE lock on
-- rushdb.records: writes wait while the index builds (about a minute per
-- million records for a GiST index on this project's 2-core machine).

-- The indexes' names and definitions for a property, by kind.
CREATE OR REPLACE FUNCTION rushdb_internal.property_index_ddl(property_name text, kind text)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT format('CREATE INDEX %I ON rushdb.records USING %s', 'records_prop_' || left(md5(property_name), 16) || '_' || kind,
                  CASE kind
                      WHEN 'num' THEN format('gist (rushdb_internal.number_range(properties, %L))', property_name)
                      WHEN 'time' THEN format('gist (rushdb_internal.instant_range(properties, %L))', property_name)
                      WHEN 'sort' THEN format('btree (label, rushdb_internal.sort_key(properties -> %L, proptypes ->> %L))',
                                              property_name, property_name)
                  END)
$$;

CREATE OR REPLACE FUNCTION rushdb_internal.property_index_name(property_name text, kind text)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'records_prop_' || left(md5(property_name), 16) || '_' || kind
$$;

-- Every property index: {propertyName, kind, index, sizeBytes}.
CREATE OR REPLACE FUNCTION rushdb.property_indexes() RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'propertyName', substr(d.description, length('rushdb property index: ') + 1),
               'kind', substring(c.relname FROM '_([a-z]+)$'), 'index', c.relname,
               'sizeBytes', pg_relation_size(c.oid)) ORDER BY d.description, c.relname), '[]')
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
    WHERE i.indrelid = 'rushdb.records'::regclass AND d.description LIKE 'rushdb property index: %'
$$;

-- Creating and dropping property (text) indexes is for roles granted
-- EXECUTE on rushdb.create_property_index (rushdb.create_text_index),
-- checked for the calling role, since the operations run as the
-- extension's owner.
CREATE OR REPLACE FUNCTION rushdb_internal.check_index_privilege(caller regrole, api text, action text)
RETURNS void LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT has_function_privilege(caller, api, 'EXECUTE') THEN
        PERFORM rushdb_internal.raise_bad(format('permission denied to %s', action), NULL, '42501',
                                          format('A superuser grants it: GRANT EXECUTE ON FUNCTION %s TO <role>.', api));
    END IF;
END $$;

-- args: {propertyName, kinds}. Runs as the extension's owner (the table's),
-- for a caller with EXECUTE on rushdb.create_property_index.
-- default_tablespace is pinned: the caller's setting must not choose where
-- the owner puts an index.
CREATE OR REPLACE FUNCTION rushdb_internal.op_create_property_index(caller regrole, args jsonb, ids uuid[], vectors rushdb.vector[])
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET default_tablespace = '' AS $$
DECLARE
    prop text := args ->> 'propertyName';
    kind text;
    made text[] := '{}';
BEGIN
    PERFORM rushdb_internal.check_index_privilege(caller, 'rushdb.create_property_index(text, text[])', 'create property indexes');
    IF prop IS NULL OR prop = '' OR left(prop, 2) = '__' OR left(prop, 1) = '$' THEN
        PERFORM rushdb_internal.raise_bad(format('"%s" is not a property name that can be indexed', prop));
    END IF;
    FOR kind IN SELECT jsonb_array_elements_text(args -> 'kinds') LOOP
        IF kind NOT IN ('num', 'time', 'sort') THEN
            PERFORM rushdb_internal.raise_bad(format('unknown property index kind "%s"', kind), NULL, '22023',
                                              'Kinds are "num" (number ranges), "time" (datetime ranges) and "sort" (orderBy).');
        END IF;
        IF to_regclass(format('rushdb.%I', rushdb_internal.property_index_name(prop, kind))) IS NULL THEN
            EXECUTE rushdb_internal.property_index_ddl(prop, kind);
            EXECUTE format('COMMENT ON INDEX rushdb.%I IS %L', rushdb_internal.property_index_name(prop, kind),
                           'rushdb property index: ' || prop);
            made := made || kind;
        END IF;
    END LOOP;
    EXECUTE 'ANALYZE rushdb.records';
    RETURN jsonb_build_object('propertyName', prop, 'created', to_jsonb(made),
                              'indexes', (SELECT coalesce(jsonb_agg(e), '[]') FROM jsonb_array_elements(rushdb.property_indexes()) e
                                          WHERE e ->> 'propertyName' = prop));
END $$;

CREATE OR REPLACE FUNCTION rushdb_internal.op_drop_property_index(caller regrole, args jsonb, ids uuid[], vectors rushdb.vector[])
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    prop text := args ->> 'propertyName';
    kind text;
    dropped text[] := '{}';
BEGIN
    PERFORM rushdb_internal.check_index_privilege(caller, 'rushdb.create_property_index(text, text[])', 'drop property indexes');
    FOREACH kind IN ARRAY ARRAY['num', 'time', 'sort'] LOOP
        IF to_regclass(format('rushdb.%I', rushdb_internal.property_index_name(prop, kind))) IS NOT NULL THEN
            EXECUTE format('DROP INDEX rushdb.%I', rushdb_internal.property_index_name(prop, kind));
            dropped := dropped || kind;
        END IF;
    END LOOP;
    RETURN jsonb_build_object('propertyName', prop, 'dropped', to_jsonb(dropped));
END $$;

-- create_property_index(propertyName, kinds): the indexes that serve range
-- filters and orderBy on a property, for every label. Idempotent: kinds that
-- exist are kept.
CREATE OR REPLACE FUNCTION rushdb.create_property_index(property_name text,
                                                        kinds text[] DEFAULT ARRAY['num', 'time', 'sort'])
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF property_name IS NULL OR property_name = '' THEN
        PERFORM rushdb_internal.raise_bad('propertyName is required', NULL, '22004');
    END IF;
    IF kinds IS NULL OR cardinality(kinds) = 0 THEN
        PERFORM rushdb_internal.raise_bad('kinds must name at least one of "num", "time", "sort"');
    END IF;
    RETURN rushdb_internal.privileged('create_property_index',
                                      jsonb_build_object('propertyName', property_name, 'kinds', to_jsonb(kinds)));
END $$;

CREATE OR REPLACE FUNCTION rushdb.drop_property_index(property_name text) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF property_name IS NULL OR property_name = '' THEN
        PERFORM rushdb_internal.raise_bad('propertyName is required', NULL, '22004');
    END IF;
    RETURN rushdb_internal.privileged('drop_property_index', jsonb_build_object('propertyName', property_name));
END $$;

-- Text indexes: the keyword leg of hybrid search (rushdb.search with
-- "text"). One per (label, property): a partial GIN index on rushdb.records
--   records_text_<hash of label and property>
--   USING gin (to_tsvector(config, text_of(properties, property))) WHERE label = <label>
-- commented "rushdb text index: {label, propertyName, config}" (JSON).
-- Being an index, it is current
-- after every write, inside the writing transaction. Like property
-- indexes it is not in a dump (backup.md).
CREATE OR REPLACE FUNCTION rushdb_internal.text_index_name(label text, property_name text)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'records_text_' || left(md5(length(label) || ':' || label || property_name), 16)
$$;

-- Every text index: {label, propertyName, config, index, sizeBytes}, from
-- the JSON in each index's comment.
CREATE OR REPLACE FUNCTION rushdb.text_indexes() RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(jsonb_agg(substr(d.description, length('rushdb text index: ') + 1)::jsonb
                              || jsonb_build_object('index', c.relname, 'sizeBytes', pg_relation_size(c.oid))
                              ORDER BY c.relname), '[]')
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
    WHERE i.indrelid = 'rushdb.records'::regclass AND d.description LIKE 'rushdb text index: {%'
$$;

-- A text search configuration of PostgreSQL's own (schema pg_catalog:
-- simple, english, german, ...) by name; NULL for any other name.
CREATE OR REPLACE FUNCTION rushdb_internal.builtin_regconfig(name text) RETURNS regconfig
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.oid::regconfig FROM pg_ts_config c WHERE c.cfgname = name AND c.cfgnamespace = 'pg_catalog'::regnamespace
$$;

-- The text search configuration of the text index on (label, property), as
-- an OID; raises when there is none.
CREATE OR REPLACE FUNCTION rushdb_internal.text_index_config(label text, property_name text) RETURNS oid
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix regclass := to_regclass(format('rushdb.%I', rushdb_internal.text_index_name(label, property_name)));
    cfg text;
BEGIN
    IF ix IS NOT NULL THEN
        SELECT substr(d.description, length('rushdb text index: ') + 1)::jsonb ->> 'config' INTO cfg FROM pg_description d
        WHERE d.objoid = ix AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
          AND d.description LIKE 'rushdb text index: {%';
    END IF;
    IF cfg IS NULL THEN
        PERFORM rushdb_internal.raise_bad(format('no text index for label "%s", property "%s"', label, property_name),
                                          NULL, '42704',
                                          format('A keyword search ("text") needs one: SELECT rushdb.create_text_index(%L, %L);',
                                                 label, property_name));
    END IF;
    RETURN rushdb_internal.builtin_regconfig(cfg);
END $$;

-- args: {label, propertyName, config}.
-- (client_min_messages: to_tsvector's NOTICE for each over-long word is noise.)
CREATE OR REPLACE FUNCTION rushdb_internal.op_create_text_index(caller regrole, args jsonb, ids uuid[], vectors rushdb.vector[])
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET default_tablespace = ''
    SET client_min_messages = warning AS $$
DECLARE
    name text := rushdb_internal.text_index_name(args ->> 'label', args ->> 'propertyName');
    cfg regconfig := rushdb_internal.builtin_regconfig(args ->> 'config');
    created boolean := false;
BEGIN
    PERFORM rushdb_internal.check_index_privilege(caller, 'rushdb.create_text_index(text, text, text)', 'create text indexes');
    IF cfg IS NULL THEN
        PERFORM rushdb_internal.raise_bad(format('unknown text search configuration "%s"', args ->> 'config'), NULL, '22023',
                                          'Use one of PostgreSQL''s own: SELECT cfgname FROM pg_ts_config (simple, english, german, ...).');
    END IF;
    IF to_regclass(format('rushdb.%I', name)) IS NULL THEN
        EXECUTE format('CREATE INDEX %I ON rushdb.records USING gin (pg_catalog.to_tsvector(%L::pg_catalog.regconfig, '
                       'rushdb_internal.text_of(properties, %L))) WHERE label = %L',
                       name, cfg::text, args ->> 'propertyName', args ->> 'label');
        EXECUTE format('COMMENT ON INDEX rushdb.%I IS %L', name, 'rushdb text index: ' || jsonb_build_object(
            'label', args ->> 'label', 'propertyName', args ->> 'propertyName', 'config', cfg::text)::text);
        created := true;
    END IF;
    RETURN jsonb_build_object('label', args ->> 'label', 'propertyName', args ->> 'propertyName',
                              'config', rushdb_internal.text_index_config(args ->> 'label', args ->> 'propertyName')::regconfig::text,
                              'index', name, 'created', created);
END $$;

CREATE OR REPLACE FUNCTION rushdb_internal.op_drop_text_index(caller regrole, args jsonb, ids uuid[], vectors rushdb.vector[])
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    name text := rushdb_internal.text_index_name(args ->> 'label', args ->> 'propertyName');
    dropped boolean := false;
BEGIN
    PERFORM rushdb_internal.check_index_privilege(caller, 'rushdb.create_text_index(text, text, text)', 'drop text indexes');
    IF to_regclass(format('rushdb.%I', name)) IS NOT NULL THEN
        EXECUTE format('DROP INDEX rushdb.%I', name);
        dropped := true;
    END IF;
    RETURN jsonb_build_object('label', args ->> 'label', 'propertyName', args ->> 'propertyName', 'dropped', dropped);
END $$;

-- create_text_index(label, propertyName, config): the keyword index of a
-- label's text property (config: a text search configuration, 'simple' by
-- default: no stemming, no stop words, any language). Idempotent.
CREATE OR REPLACE FUNCTION rushdb.create_text_index(label text, property_name text, config text DEFAULT 'simple')
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF label IS NULL OR label = '' THEN PERFORM rushdb_internal.raise_bad('label is required', NULL, '22004'); END IF;
    IF property_name IS NULL OR property_name = '' OR left(property_name, 2) = '__' OR left(property_name, 1) = '$' THEN
        PERFORM rushdb_internal.raise_bad(format('"%s" is not a property name that can be indexed', property_name));
    END IF;
    RETURN rushdb_internal.privileged('create_text_index', jsonb_build_object(
        'label', label, 'propertyName', property_name, 'config', coalesce(config, 'simple')));
END $$;

CREATE OR REPLACE FUNCTION rushdb.drop_text_index(label text, property_name text) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF label IS NULL OR label = '' THEN PERFORM rushdb_internal.raise_bad('label is required', NULL, '22004'); END IF;
    IF property_name IS NULL OR property_name = '' THEN
        PERFORM rushdb_internal.raise_bad('propertyName is required', NULL, '22004');
    END IF;
    RETURN rushdb_internal.privileged('drop_text_index', jsonb_build_object('label', label, 'propertyName', property_name));
END $$;

-- The keyword leg (src/pg/keyword_search.cpp), called by rushdb.search.
-- With explain, the lines of its plan (EXPLAIN (COSTS OFF)) instead.
CREATE OR REPLACE FUNCTION rushdb_internal.keyword_leg(label text, property_name text, query text, lim integer,
                                                       "where" jsonb, config oid, explain boolean DEFAULT false)
RETURNS SETOF jsonb AS 'MODULE_PATHNAME', 'rushdb_keyword_leg' LANGUAGE C VOLATILE ROWS 50;

-- Building indexes on every record is a DBA's decision, as create_index is.
REVOKE ALL ON FUNCTION rushdb.create_property_index(text, text[]), rushdb.drop_property_index(text),
    rushdb.create_text_index(text, text, text), rushdb.drop_text_index(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rushdb_internal.property_index_ddl(text, text),
    rushdb_internal.check_index_privilege(regrole, text, text),
    rushdb_internal.op_create_property_index(regrole, jsonb, uuid[], rushdb.vector[]),
    rushdb_internal.op_drop_property_index(regrole, jsonb, uuid[], rushdb.vector[]),
    rushdb_internal.op_create_text_index(regrole, jsonb, uuid[], rushdb.vector[]),
    rushdb_internal.op_drop_text_index(regrole, jsonb, uuid[], rushdb.vector[]) FROM PUBLIC;

COMMENT ON FUNCTION rushdb.create_property_index(text, text[]) IS
    'Indexes a property for range filters (num, time) and orderBy (sort) in find and search';
COMMENT ON FUNCTION rushdb.drop_property_index(text) IS 'Drops the property indexes of a property';
COMMENT ON FUNCTION rushdb.property_indexes() IS 'The property indexes on rushdb.records';
COMMENT ON FUNCTION rushdb.create_text_index(text, text, text) IS
    'Creates the keyword (full-text) index of a label''s property, for hybrid search with "text"';
COMMENT ON FUNCTION rushdb.drop_text_index(text, text) IS 'Drops the text index of a label''s property';
COMMENT ON FUNCTION rushdb.text_indexes() IS 'The text indexes on rushdb.records';
