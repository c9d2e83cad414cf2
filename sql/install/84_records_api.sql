-- Records: create (single, bulk, with inline vectors), read, update,
-- delete. Records are read and written with the caller's rights, so
-- GRANTs and row-level security on rushdb.records apply; vectors are
-- written through rushdb_internal.privileged('store_vectors').

-- What a label / property has, for the DETAIL of "no index" errors: the
-- indexes on that property, else the label's indexed properties, else
-- whether the label has any (visible) record with the property.
CREATE OR REPLACE FUNCTION rushdb_internal.index_detail(label text, property_name text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    listed text;
BEGIN
    SELECT string_agg(format('%s (%s, %s, %s dimensions)', e.id, e.source_type, e.similarity_function, e.dimensions),
                      '; ' ORDER BY e.created_at)
    INTO listed FROM rushdb.embedding_indexes e WHERE e.label = label AND e.property_name = property_name;
    IF listed IS NOT NULL THEN
        RETURN format('Indexes on label "%s", property "%s": %s.', label, property_name, listed);
    END IF;
    SELECT string_agg(DISTINCT format('"%s"', e.property_name), ', ') INTO listed
    FROM rushdb.embedding_indexes e WHERE e.label = label;
    IF listed IS NOT NULL THEN
        RETURN format('Label "%s" has embedding indexes on %s only.', label, listed);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM rushdb.records r WHERE r.label = label) THEN
        RETURN format('No embedding index has label "%s", and there are no records with that label.', label);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM rushdb.records r WHERE r.label = label AND r.properties ? property_name) THEN
        RETURN format('No embedding index has label "%s", and no record of that label has property "%s".',
                      label, property_name);
    END IF;
    RETURN format('No embedding index has label "%s".', label);
END $$;

-- The external index a vector entry targets: (label, propertyName, vector
-- length[, similarityFunction]). None, or several without a
-- similarityFunction to choose, is an error that says what there is.
CREATE OR REPLACE FUNCTION rushdb_internal.resolve_external_index(label text, property_name text, dims integer,
                                                                  similarity_function text DEFAULT NULL)
RETURNS rushdb.embedding_indexes LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
    found rushdb.embedding_indexes[];
BEGIN
    IF similarity_function IS NOT NULL AND similarity_function NOT IN ('cosine', 'euclidean') THEN
        PERFORM rushdb_internal.raise_bad(
            format('similarityFunction must be "cosine" or "euclidean", not "%s"', similarity_function));
    END IF;
    SELECT array_agg(e ORDER BY e.created_at) INTO found FROM rushdb.embedding_indexes e
    WHERE e.label = label AND e.property_name = property_name
      AND e.source_type = 'external' AND e.dimensions = dims
      AND (similarity_function IS NULL OR e.similarity_function = similarity_function);
    IF found IS NULL THEN
        PERFORM rushdb_internal.raise_bad(
            format('no external embedding index for label "%s", property "%s" with %s dimensions%s',
                   label, property_name, dims,
                   CASE WHEN similarity_function IS NULL THEN '' ELSE format(' and %s similarity', similarity_function) END),
            rushdb_internal.index_detail(label, property_name), '42704',
            'Create one with rushdb.create_index(''{"label": ..., "propertyName": ..., "external": true, "dimensions": ...}'').');
    END IF;
    IF cardinality(found) > 1 THEN
        PERFORM rushdb_internal.raise_bad(
            format('several external indexes match label "%s", property "%s" with %s dimensions',
                   label, property_name, dims),
            rushdb_internal.index_detail(label, property_name), '42P08',
            'Add "similarityFunction" (cosine or euclidean) to the vector entry.');
    END IF;
    RETURN found[1];
END $$;

-- Checks a vector entry {propertyName, vector, similarityFunction?} and
-- returns its index (entry_name says where it is, for messages).
CREATE OR REPLACE FUNCTION rushdb_internal.vector_entry_index(label text, entry jsonb, entry_name text,
                                                              OUT ix rushdb.embedding_indexes, OUT vec rushdb.vector)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF jsonb_typeof(entry) IS DISTINCT FROM 'object' OR jsonb_typeof(entry -> 'propertyName') IS DISTINCT FROM 'string'
       OR jsonb_typeof(entry -> 'vector') IS DISTINCT FROM 'array' THEN
        PERFORM rushdb_internal.raise_bad(format('%s must be {"propertyName": "...", "vector": [numbers]}', entry_name));
    END IF;
    PERFORM rushdb_internal.check_keys(entry, ARRAY['propertyName', 'vector', 'similarityFunction'], entry_name);
    vec := (entry -> 'vector')::rushdb.vector;
    ix := rushdb_internal.resolve_external_index(label, entry ->> 'propertyName', rushdb.vector_dims(vec),
                                                 entry ->> 'similarityFunction');
END $$;

-- create_record(label, data[, vectors]): data may carry "__vectors" (the
-- inline spelling); "vectors" is the separate-argument spelling. Both write
-- in the same statement as the record.
CREATE OR REPLACE FUNCTION rushdb.create_record(label text, data jsonb, vectors jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rec rushdb.records;
    inline jsonb;
    entry jsonb;
    pos integer := 0;
    target record;
BEGIN
    IF label IS NULL OR label = '' THEN PERFORM rushdb_internal.raise_bad('label is required', NULL, '22004'); END IF;
    IF data IS NULL OR jsonb_typeof(data) <> 'object' THEN
        PERFORM rushdb_internal.raise_bad('record data must be a JSON object of properties');
    END IF;
    inline := data -> '__vectors';
    data := data - '__vectors';
    IF inline IS NOT NULL AND vectors IS NOT NULL THEN
        PERFORM rushdb_internal.raise_bad('give vectors either inline as "__vectors" or as the vectors argument, not both');
    END IF;
    inline := coalesce(inline, vectors);
    IF inline IS NOT NULL AND jsonb_typeof(inline) <> 'array' THEN
        PERFORM rushdb_internal.raise_bad('"__vectors" must be an array of {propertyName, vector}');
    END IF;
    INSERT INTO rushdb.records (label, properties, proptypes)
    VALUES (label, jsonb_strip_nulls(data), rushdb_internal.record_proptypes(data))
    RETURNING * INTO rec;
    FOR entry IN SELECT value FROM jsonb_array_elements(coalesce(inline, '[]')) LOOP
        pos := pos + 1;
        target := rushdb_internal.vector_entry_index(label, entry, format('vector entry %s', pos));
        PERFORM rushdb_internal.privileged('store_vectors', jsonb_build_object('indexId', (target.ix).id),
                                           ARRAY[rec.id], ARRAY[target.vec]);
    END LOOP;
    RETURN rushdb_internal.record_json(rec);
END $$;

-- Bulk create: a JSON array of property objects (each may carry __vectors
-- or $vectors, RushDB's import spelling). All or nothing. Vectors are
-- gathered per index and written in one batch each, so a large import
-- takes the bulk path.
CREATE OR REPLACE FUNCTION rushdb.create_records(label text, items jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    item jsonb;
    entries jsonb;
    entry jsonb;
    rec jsonb;
    out jsonb[] := '{}';
    item_no integer := 0;
    entry_no integer;
    target record;
    -- Pending vectors, one entry each (plpgsql appends to arrays in place).
    entry_index uuid[] := '{}';
    entry_record uuid[] := '{}';
    entry_vector rushdb.vector[] := '{}';
    one_index uuid;
    ids uuid[];
    vecs rushdb.vector[];
BEGIN
    IF items IS NULL OR jsonb_typeof(items) <> 'array' THEN
        PERFORM rushdb_internal.raise_bad('items must be a JSON array of records');
    END IF;
    FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
        item_no := item_no + 1;
        IF jsonb_typeof(item) <> 'object' THEN
            PERFORM rushdb_internal.raise_bad(format('item %s must be a JSON object of properties', item_no));
        END IF;
        IF item ? '$vectors' AND item ? '__vectors' THEN
            PERFORM rushdb_internal.raise_bad(format('item %s has both "$vectors" and "__vectors"', item_no));
        END IF;
        entries := coalesce(item -> '$vectors', item -> '__vectors');
        IF entries IS NOT NULL AND jsonb_typeof(entries) <> 'array' THEN
            PERFORM rushdb_internal.raise_bad(format('item %s: vectors must be an array of {propertyName, vector}', item_no));
        END IF;
        rec := rushdb.create_record(label, item - '$vectors' - '__vectors');
        out := out || rec;
        entry_no := 0;
        FOR entry IN SELECT value FROM jsonb_array_elements(coalesce(entries, '[]')) LOOP
            entry_no := entry_no + 1;
            target := rushdb_internal.vector_entry_index(label, entry, format('item %s, vector entry %s', item_no, entry_no));
            entry_index := entry_index || (target.ix).id;
            entry_record := entry_record || (rec ->> '__id')::uuid;
            entry_vector := entry_vector || target.vec;
        END LOOP;
    END LOOP;
    FOR one_index IN SELECT DISTINCT t FROM unnest(entry_index) t LOOP
        SELECT array_agg(r ORDER BY o), array_agg(v ORDER BY o) INTO ids, vecs
        FROM unnest(entry_index, entry_record, entry_vector) WITH ORDINALITY AS u(t, r, v, o) WHERE t = one_index;
        PERFORM rushdb_internal.privileged('store_vectors', jsonb_build_object('indexId', one_index), ids, vecs);
    END LOOP;
    RETURN to_jsonb(out);
END $$;

CREATE OR REPLACE FUNCTION rushdb.get_record(record_id uuid) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT rushdb_internal.record_json(rushdb_internal.lookup_record(record_id))
$$;

-- update_record: merges data into the record's properties (a null value
-- unsets the property), RushDB's update semantics. Vectors of external
-- indexes on a changed property are kept; write new ones with
-- upsert_vectors. Managed indexes re-embed the new value.
CREATE OR REPLACE FUNCTION rushdb.update_record(record_id uuid, data jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rec rushdb.records := rushdb_internal.lookup_record(record_id);
    merged jsonb;
BEGIN
    IF data IS NULL OR jsonb_typeof(data) <> 'object' THEN
        PERFORM rushdb_internal.raise_bad('record data must be a JSON object of properties');
    END IF;
    IF data ? '__vectors' THEN
        PERFORM rushdb_internal.raise_bad('update_record does not take "__vectors"; use rushdb.upsert_vectors');
    END IF;
    merged := jsonb_strip_nulls(rec.properties || data);
    UPDATE rushdb.records SET properties = merged, proptypes = rushdb_internal.record_proptypes(merged), updated_at = now()
    WHERE id = rec.id RETURNING * INTO rec;
    IF NOT FOUND THEN  -- visible, but a row-level security policy forbids changing it
        PERFORM rushdb_internal.raise_bad(format('permission denied to update record %s', record_id), NULL, '42501');
    END IF;
    RETURN rushdb_internal.record_json(rec);
END $$;

-- delete_record / delete_records: vectors go with them (ON DELETE CASCADE).
CREATE OR REPLACE FUNCTION rushdb.delete_record(record_id uuid) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rec rushdb.records := rushdb_internal.lookup_record(record_id);
    n bigint;
BEGIN
    DELETE FROM rushdb.records WHERE id = rec.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN jsonb_build_object('deleted', n);
END $$;

CREATE OR REPLACE FUNCTION rushdb.delete_records(record_ids uuid[]) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE n bigint;
BEGIN
    IF record_ids IS NULL THEN PERFORM rushdb_internal.raise_bad('record ids are required', NULL, '22004'); END IF;
    DELETE FROM rushdb.records WHERE id = ANY (record_ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN jsonb_build_object('deleted', n);
END $$;

-- SDK forms: records.create({label, data, vectors?}) and
-- records.createMany / importJson({label, data: [...]}).
CREATE OR REPLACE FUNCTION rushdb.create_record(params jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF params IS NULL OR jsonb_typeof(params) <> 'object' THEN
        PERFORM rushdb_internal.raise_bad('create_record expects {"label": "...", "data": {...}}');
    END IF;
    PERFORM rushdb_internal.check_keys(params, ARRAY['label', 'data', 'vectors'], 'create_record');
    RETURN rushdb.create_record(params ->> 'label', params -> 'data', params -> 'vectors');
END $$;

CREATE OR REPLACE FUNCTION rushdb.create_records(params jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF params IS NULL OR jsonb_typeof(params) <> 'object' THEN
        PERFORM rushdb_internal.raise_bad('create_records expects {"label": "...", "data": [...]}');
    END IF;
    PERFORM rushdb_internal.check_keys(params, ARRAY['label', 'data'], 'create_records');
    RETURN rushdb.create_records(params ->> 'label', params -> 'data');
END $$;

COMMENT ON FUNCTION rushdb.create_record(text, jsonb, jsonb) IS
    'Creates a record of a label from its properties; "__vectors" writes external vectors with it';
COMMENT ON FUNCTION rushdb.create_record(jsonb) IS 'Creates a record from the SDK object {label, data, vectors}';
COMMENT ON FUNCTION rushdb.create_records(text, jsonb) IS
    'Creates records from a JSON array of property objects (each may carry __vectors / $vectors), all or nothing';
COMMENT ON FUNCTION rushdb.create_records(jsonb) IS 'Creates records from the SDK object {label, data: [...]}';
COMMENT ON FUNCTION rushdb.get_record(uuid) IS 'One record, as the SDK shows it';
COMMENT ON FUNCTION rushdb.update_record(uuid, jsonb) IS 'Merges properties into a record (null unsets one)';
COMMENT ON FUNCTION rushdb.delete_record(uuid) IS 'Deletes a record and its vectors';
COMMENT ON FUNCTION rushdb.delete_records(uuid[]) IS 'Deletes records and their vectors; returns how many';
