-- Helpers the API and the generated search SQL call (rushdb_internal).
--
-- Files 80 to 89 hold only CREATE OR REPLACE statements, grants and
-- comments: the upgrade script from 0.1.0 runs them again as they are, so
-- an upgraded database and a fresh install have the same definitions.
--
-- Every function pins search_path or (where a SET clause would keep
-- PostgreSQL from inlining it into the caller's query) names every
-- operator and function with its schema.

-- Raises a clear error with no CONTEXT lines from the PL/pgSQL frames
-- between the API function and the check that failed (implemented in C:
-- it clears the error context stack before raising).
CREATE OR REPLACE FUNCTION rushdb_internal.raise_bad(msg text, detail text DEFAULT NULL, code text DEFAULT '22023',
                                                     hint text DEFAULT NULL)
RETURNS void AS 'MODULE_PATHNAME', 'rushdb_raise_bad' LANGUAGE C VOLATILE;

-- Refuses a JSON object with keys outside `accepted` (22023), naming the
-- key, the accepted ones and a near miss ("did you mean ...").
CREATE OR REPLACE FUNCTION rushdb_internal.check_keys(obj jsonb, accepted text[], what text)
RETURNS void AS 'MODULE_PATHNAME', 'rushdb_check_keys' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- A property's value, or each element when it is an array; nothing when the
-- property is absent or null. No SET search_path (it would stop PostgreSQL
-- from inlining this into the query); every name is schema-qualified instead.
CREATE OR REPLACE FUNCTION rushdb_internal.prop_values(properties jsonb, key text) RETURNS SETOF jsonb
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
CREATE OR REPLACE FUNCTION rushdb_internal.try_timestamptz(value text) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'rushdb_try_timestamptz' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- [least, greatest] number and [earliest, latest] ISO-8601 datetime among a
-- property's values (the value, or an array's elements), as inclusive
-- ranges; NULL when it has none. The where compiler writes $gt/$gte/$lt/$lte
-- as an overlap (&&) with these (some value is in the window exactly when
-- the span overlaps it), which rushdb.create_property_index's GiST indexes
-- serve and the planner estimates from the ranges' bound histograms.
CREATE OR REPLACE FUNCTION rushdb_internal.number_range(properties jsonb, key text) RETURNS numrange
    AS 'MODULE_PATHNAME', 'rushdb_number_range' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION rushdb_internal.instant_range(properties jsonb, key text) RETURNS tstzrange
    AS 'MODULE_PATHNAME', 'rushdb_instant_range' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The text a text index reads from a property: a string, or the strings of
-- an array joined with spaces (as managed indexes embed them); NULL else.
CREATE OR REPLACE FUNCTION rushdb_internal.text_of(properties jsonb, key text) RETURNS text
    AS 'MODULE_PATHNAME', 'rushdb_text_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Validates record data (flat properties, no reserved keys) and returns the
-- __proptypes map. Implemented in C++ (src/core/records/property_types).
CREATE OR REPLACE FUNCTION rushdb_internal.record_proptypes(data jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'rushdb_record_proptypes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- A record as the RushDB SDK returns it: its properties plus __id, __label
-- and __proptypes. No SET search_path: it would keep PostgreSQL from
-- inlining this into the search query; every name is qualified.
CREATE OR REPLACE FUNCTION rushdb_internal.record_json(r rushdb.records) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT r.properties OPERATOR(pg_catalog.||)
           pg_catalog.jsonb_build_object('__id', r.id, '__label', r.label, '__proptypes', r.proptypes)
$$;

-- Records queued for embedding into an index, counted with the caller's
-- rights: the queue's row-level security (86_managed.sql) shows her only
-- the rows of records she can see, so hidden records are not counted.
CREATE OR REPLACE FUNCTION rushdb_internal.queued_records(index_id uuid) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT count(DISTINCT q.record_id) FROM rushdb_internal.embedding_queue q WHERE q.index_id = queued_records.index_id
$$;

-- The status a user sees: a ready managed index with queued records is
-- pending again until the worker has embedded them (computed, so writers
-- never update, and never queue behind each other on, the catalog row).
CREATE OR REPLACE FUNCTION rushdb_internal.index_status(ix rushdb.embedding_indexes) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN ix.source_type = 'managed' AND ix.status = 'ready'
                     AND EXISTS (SELECT 1 FROM rushdb_internal.embedding_queue q WHERE q.index_id = ix.id)
                THEN 'pending' ELSE ix.status END
$$;

-- The index as the RushDB SDK shows it.
CREATE OR REPLACE FUNCTION rushdb_internal.index_json(ix rushdb.embedding_indexes) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', ix.id, 'label', ix.label, 'propertyName', ix.property_name,
        'sourceType', ix.source_type, 'similarityFunction', ix.similarity_function,
        'dimensions', ix.dimensions, 'modelKey', ix.model_key, 'status', rushdb_internal.index_status(ix),
        'enabled', ix.enabled, 'error', ix.error, 'owner', ix.owner::text,
        'createdAt', ix.created_at, 'updatedAt', ix.updated_at))
$$;

CREATE OR REPLACE FUNCTION rushdb_internal.lookup_index(index_id uuid) RETURNS rushdb.embedding_indexes
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE ix rushdb.embedding_indexes;
BEGIN
    IF index_id IS NULL THEN PERFORM rushdb_internal.raise_bad('index id is required', NULL, '22004'); END IF;
    SELECT * INTO ix FROM rushdb.embedding_indexes WHERE id = index_id;
    IF NOT FOUND THEN
        PERFORM rushdb_internal.raise_bad(format('embedding index %s does not exist', index_id), NULL, '42704',
                                          'rushdb.list_indexes() lists the indexes there are.');
    END IF;
    RETURN ix;
END $$;

-- With the caller's rights: a record the caller cannot see (row-level
-- security) gets the same answer as one that does not exist.
CREATE OR REPLACE FUNCTION rushdb_internal.lookup_record(record_id uuid) RETURNS rushdb.records
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE rec rushdb.records;
BEGIN
    IF record_id IS NULL THEN PERFORM rushdb_internal.raise_bad('record id is required', NULL, '22004'); END IF;
    SELECT * INTO rec FROM rushdb.records WHERE id = record_id;
    IF NOT FOUND THEN
        PERFORM rushdb_internal.raise_bad(format('record %s does not exist', record_id), NULL, 'P0002');
    END IF;
    RETURN rec;
END $$;

-- The vector table of an index, checked to be the plain table the
-- extension created (in rushdb_internal, owned by the extension's owner);
-- anything else is an error that says how to repair the index.
CREATE OR REPLACE FUNCTION rushdb_internal.vector_storage(ix rushdb.embedding_indexes) RETURNS regclass
    AS 'MODULE_PATHNAME', 'rushdb_vector_storage' LANGUAGE C STABLE STRICT;

-- Row-level security of the vector tables: may the current user read the
-- record a vector belongs to? With her own rights, so the policies on
-- rushdb.records decide (a role that reads every record is answered from
-- a per-query cache). COST 1: the planner must keep HNSW index scans,
-- which ask only for the rows they return.
CREATE OR REPLACE FUNCTION rushdb_internal.record_visible(record_id uuid) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_record_visible' LANGUAGE C STABLE STRICT COST 1;

-- Gives a vector table its protection: no rights for ordinary roles but
-- SELECT, and row-level security showing only vectors of visible records.
CREATE OR REPLACE FUNCTION rushdb_internal.protect_vector_table(storage regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', storage);
    EXECUTE format('CREATE POLICY readable_records ON %s FOR SELECT TO PUBLIC
                        USING (rushdb_internal.record_visible(record_id))', storage);
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', storage);
    EXECUTE format('GRANT SELECT ON %s TO PUBLIC', storage);
END $$;
REVOKE ALL ON FUNCTION rushdb_internal.protect_vector_table(regclass) FROM PUBLIC;

-- The one way the API changes what ordinary roles may not write (the
-- catalog, the queue, the vector tables): runs rushdb_internal.op_<op>
-- as the extension's owner, in a security-restricted operation with
-- search_path pinned, passing the calling role, which the operation checks
-- (docs/security.md). Record ids are first checked, with the caller's
-- rights, to be records the caller can see and may write.
CREATE OR REPLACE FUNCTION rushdb_internal.privileged(op text, args jsonb, ids uuid[] DEFAULT NULL,
                                                      vectors rushdb.vector[] DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'rushdb_privileged' LANGUAGE C VOLATILE;

COMMENT ON FUNCTION rushdb_internal.privileged(text, jsonb, uuid[], rushdb.vector[]) IS
    'Runs a privileged catalog operation as the extension owner for the calling role (internal)';
