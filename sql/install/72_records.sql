-- Records: create (single, bulk, with inline vectors), update, delete.

-- Validates record data (flat properties, no reserved keys) and returns the
-- __proptypes map. Implemented in C++ (src/core/records/property_types).
CREATE FUNCTION rushdb.record_proptypes(data jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'rushdb_record_proptypes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- A record as the RushDB SDK returns it: its properties plus __id, __label
-- and __proptypes.
-- No SET search_path here: it would keep PostgreSQL from inlining this into
-- the search query (one function call per row); every name is qualified.
CREATE FUNCTION rushdb.record_json(r rushdb.records) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT r.properties OPERATOR(pg_catalog.||)
           pg_catalog.jsonb_build_object('__id', r.id, '__label', r.label, '__proptypes', r.proptypes)
$$;

-- The external index a vector entry targets: (label, propertyName, vector
-- length[, similarityFunction]). None, or several without a
-- similarityFunction to choose, is an error that says what was looked for.
CREATE FUNCTION rushdb.resolve_external_index(label text, property_name text, dims integer,
                                               similarity_function text DEFAULT NULL)
RETURNS rushdb.embedding_indexes LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    found rushdb.embedding_indexes[];
BEGIN
    SELECT array_agg(e ORDER BY e.created_at) INTO found FROM rushdb.embedding_indexes e
    WHERE e.label = resolve_external_index.label AND e.property_name = resolve_external_index.property_name
      AND e.source_type = 'external' AND e.dimensions = dims
      AND (similarity_function IS NULL OR e.similarity_function = similarity_function);
    IF found IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('no external embedding index for label "%s", property "%s" with %s dimensions%s',
                             label, property_name, dims,
                             CASE WHEN similarity_function IS NULL THEN ''
                                  ELSE format(' and %s similarity', similarity_function) END),
            HINT = 'Create one with rushdb.create_index(label, property, ''external'', similarity, dimensions).';
    END IF;
    IF cardinality(found) > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'ambiguous_parameter',
            MESSAGE = format('several external indexes match label "%s", property "%s" with %s dimensions',
                             label, property_name, dims),
            HINT = 'Add "similarityFunction" (cosine or euclidean) to the vector entry.';
    END IF;
    RETURN found[1];
END $$;

-- Writes one vector of a record into an external index (insert or replace)
-- and marks the index ready on its first vector.
CREATE FUNCTION rushdb.write_vector(ix rushdb.embedding_indexes, record_id uuid, vec rushdb.vector)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF rushdb.vector_dims(vec) <> ix.dimensions THEN
        PERFORM rushdb.raise_bad(format('vector has %s dimensions; index %s (label "%s", property "%s") expects %s',
                                        rushdb.vector_dims(vec), ix.id, ix.label, ix.property_name, ix.dimensions));
    END IF;
    PERFORM rushdb.store_vectors(ix, ARRAY[record_id], ARRAY[vec]);
END $$;

-- Parses one vector entry {propertyName, vector, similarityFunction?}.
CREATE FUNCTION rushdb.write_vector_entry(label text, record_id uuid, entry jsonb, entry_no integer)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    vec rushdb.vector;
BEGIN
    IF jsonb_typeof(entry) <> 'object' THEN
        PERFORM rushdb.raise_bad(format('vector entry %s must be an object {propertyName, vector}', entry_no));
    END IF;
    IF jsonb_typeof(entry -> 'propertyName') IS DISTINCT FROM 'string' THEN
        PERFORM rushdb.raise_bad(format('vector entry %s needs "propertyName" (a string)', entry_no));
    END IF;
    IF jsonb_typeof(entry -> 'vector') IS DISTINCT FROM 'array' THEN
        PERFORM rushdb.raise_bad(format('vector entry %s needs "vector" (an array of numbers)', entry_no));
    END IF;
    vec := (entry -> 'vector')::rushdb.vector;
    PERFORM rushdb.write_vector(
        rushdb.resolve_external_index(label, entry ->> 'propertyName', rushdb.vector_dims(vec),
                                      entry ->> 'similarityFunction'),
        record_id, vec);
END $$;

-- create_record(label, data[, vectors]): data may carry "__vectors" (the
-- inline spelling); "vectors" is the separate-argument spelling. Both write
-- in the same statement as the record.
CREATE FUNCTION rushdb.create_record(label text, data jsonb, vectors jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rec rushdb.records;
    inline jsonb;
    entry jsonb;
    pos integer := 0;
BEGIN
    IF label IS NULL OR label = '' THEN PERFORM rushdb.raise_bad('label is required'); END IF;
    IF data IS NULL OR jsonb_typeof(data) <> 'object' THEN
        PERFORM rushdb.raise_bad('record data must be a JSON object of properties');
    END IF;
    inline := data -> '__vectors';
    data := data - '__vectors';
    IF inline IS NOT NULL AND vectors IS NOT NULL THEN
        PERFORM rushdb.raise_bad('give vectors either inline as "__vectors" or as the vectors argument, not both');
    END IF;
    inline := coalesce(inline, vectors);
    IF inline IS NOT NULL AND jsonb_typeof(inline) <> 'array' THEN
        PERFORM rushdb.raise_bad('"__vectors" must be an array of {propertyName, vector}');
    END IF;
    INSERT INTO rushdb.records (label, properties, proptypes)
    VALUES (label, jsonb_strip_nulls(data), rushdb.record_proptypes(data))
    RETURNING * INTO rec;
    FOR entry IN SELECT value FROM jsonb_array_elements(coalesce(inline, '[]')) LOOP
        pos := pos + 1;
        PERFORM rushdb.write_vector_entry(label, rec.id, entry, pos);
    END LOOP;
    RETURN rushdb.record_json(rec);
END $$;

-- Bulk create: a JSON array of property objects (each may carry __vectors
-- or $vectors, RushDB's import spelling). All or nothing. Vectors are
-- gathered per index and written in one batch each (rushdb.store_vectors),
-- so a large import takes the bulk path.
CREATE FUNCTION rushdb.create_records(label text, items jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    item jsonb;
    entries jsonb;
    entry jsonb;
    rec jsonb;
    out jsonb[] := '{}';
    item_no integer := 0;
    entry_no integer;
    vec rushdb.vector;
    ix rushdb.embedding_indexes;
    -- Pending vectors, one entry each (plpgsql appends to arrays in place).
    entry_index uuid[] := '{}';
    entry_record uuid[] := '{}';
    entry_vector rushdb.vector[] := '{}';
    target uuid;
    ids uuid[];
    vecs rushdb.vector[];
BEGIN
    IF items IS NULL OR jsonb_typeof(items) <> 'array' THEN
        PERFORM rushdb.raise_bad('items must be a JSON array of records');
    END IF;
    FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
        item_no := item_no + 1;
        IF jsonb_typeof(item) <> 'object' THEN
            PERFORM rushdb.raise_bad(format('item %s must be a JSON object of properties', item_no));
        END IF;
        IF item ? '$vectors' AND item ? '__vectors' THEN
            PERFORM rushdb.raise_bad(format('item %s has both "$vectors" and "__vectors"', item_no));
        END IF;
        entries := coalesce(item -> '$vectors', item -> '__vectors');
        IF entries IS NOT NULL AND jsonb_typeof(entries) <> 'array' THEN
            PERFORM rushdb.raise_bad(format('item %s: vectors must be an array of {propertyName, vector}', item_no));
        END IF;
        rec := rushdb.create_record(label, item - '$vectors' - '__vectors');
        out := out || rec;
        entry_no := 0;
        FOR entry IN SELECT value FROM jsonb_array_elements(coalesce(entries, '[]')) LOOP
            entry_no := entry_no + 1;
            IF jsonb_typeof(entry) <> 'object' OR jsonb_typeof(entry -> 'propertyName') IS DISTINCT FROM 'string'
               OR jsonb_typeof(entry -> 'vector') IS DISTINCT FROM 'array' THEN
                PERFORM rushdb.raise_bad(format('item %s, vector entry %s must be {"propertyName": "...", "vector": [numbers]}',
                                                item_no, entry_no));
            END IF;
            vec := (entry -> 'vector')::rushdb.vector;
            ix := rushdb.resolve_external_index(label, entry ->> 'propertyName', rushdb.vector_dims(vec),
                                                entry ->> 'similarityFunction');
            entry_index := entry_index || ix.id;
            entry_record := entry_record || (rec ->> '__id')::uuid;
            entry_vector := entry_vector || vec;
        END LOOP;
    END LOOP;
    FOR target IN SELECT DISTINCT t FROM unnest(entry_index) t LOOP
        SELECT array_agg(r ORDER BY o), array_agg(v ORDER BY o) INTO ids, vecs
        FROM unnest(entry_index, entry_record, entry_vector) WITH ORDINALITY AS u(t, r, v, o) WHERE t = target;
        PERFORM rushdb.store_vectors(rushdb.lookup_index(target), ids, vecs);
    END LOOP;
    RETURN to_jsonb(out);
END $$;

CREATE FUNCTION rushdb.lookup_record(record_id uuid) RETURNS rushdb.records
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE rec rushdb.records;
BEGIN
    IF record_id IS NULL THEN PERFORM rushdb.raise_bad('record id is required', NULL, '22004'); END IF;
    SELECT * INTO rec FROM rushdb.records WHERE id = record_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('record %s does not exist', record_id);
    END IF;
    RETURN rec;
END $$;

CREATE FUNCTION rushdb.get_record(record_id uuid) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT rushdb.record_json(rushdb.lookup_record(record_id))
$$;

-- update_record: merges data into the record's properties (a null value
-- unsets the property), RushDB's update semantics. Vectors of indexes on a
-- changed property are kept; write new ones with upsert_vectors.
CREATE FUNCTION rushdb.update_record(record_id uuid, data jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rec rushdb.records := rushdb.lookup_record(record_id);
    merged jsonb;
BEGIN
    IF data IS NULL OR jsonb_typeof(data) <> 'object' THEN
        PERFORM rushdb.raise_bad('record data must be a JSON object of properties');
    END IF;
    IF data ? '__vectors' THEN
        PERFORM rushdb.raise_bad('update_record does not take "__vectors"; use rushdb.upsert_vectors');
    END IF;
    merged := jsonb_strip_nulls(rec.properties || data);
    UPDATE rushdb.records SET properties = merged, proptypes = rushdb.record_proptypes(merged), updated_at = now()
    WHERE id = rec.id RETURNING * INTO rec;
    RETURN rushdb.record_json(rec);
END $$;

-- delete_record / delete_records: vectors go with them (ON DELETE CASCADE).
CREATE FUNCTION rushdb.delete_record(record_id uuid) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE rec rushdb.records := rushdb.lookup_record(record_id);
BEGIN
    DELETE FROM rushdb.records WHERE id = rec.id;
    RETURN jsonb_build_object('deleted', 1);
END $$;

CREATE FUNCTION rushdb.delete_records(record_ids uuid[]) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE n bigint;
BEGIN
    IF record_ids IS NULL THEN PERFORM rushdb.raise_bad('record ids are required', NULL, '22004'); END IF;
    DELETE FROM rushdb.records WHERE id = ANY (record_ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN jsonb_build_object('deleted', n);
END $$;

-- SDK forms: records.create({label, data, vectors?}) and
-- records.createMany / importJson({label, data: [...]}).
CREATE FUNCTION rushdb.create_record(params jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF params IS NULL OR jsonb_typeof(params) <> 'object' THEN
        PERFORM rushdb.raise_bad('create_record expects {"label": "...", "data": {...}}');
    END IF;
    RETURN rushdb.create_record(params ->> 'label', params -> 'data', params -> 'vectors');
END $$;

CREATE FUNCTION rushdb.create_records(params jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF params IS NULL OR jsonb_typeof(params) <> 'object' THEN
        PERFORM rushdb.raise_bad('create_records expects {"label": "...", "data": [...]}');
    END IF;
    RETURN rushdb.create_records(params ->> 'label', params -> 'data');
END $$;
