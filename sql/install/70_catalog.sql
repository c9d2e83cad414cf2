-- RushDB records and embedding-index catalog (see docs/byov.md).
--
-- Every function here runs with the caller's rights (no SECURITY DEFINER)
-- and names every object with its schema, so a hostile search_path cannot
-- redirect a call. Functions set search_path to pg_catalog, pg_temp so
-- unqualified built-ins resolve to the real ones.

CREATE TABLE rushdb.records (
    id uuid PRIMARY KEY,
    label text NOT NULL CHECK (label <> ''),
    properties jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
    proptypes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(proptypes) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX records_label_idx ON rushdb.records (label, id);
-- Equality filters compile to containment (@>), which this index serves.
CREATE INDEX records_properties_idx ON rushdb.records USING gin (properties jsonb_path_ops);
COMMENT ON TABLE rushdb.records IS 'RushDB records: __id, __label, properties, __proptypes';

CREATE TABLE rushdb.embedding_indexes (
    id uuid PRIMARY KEY,
    label text NOT NULL CHECK (label <> ''),
    property_name text NOT NULL CHECK (property_name <> ''),
    source_type text NOT NULL CHECK (source_type IN ('managed', 'external')),
    similarity_function text NOT NULL CHECK (similarity_function IN ('cosine', 'euclidean')),
    dimensions integer NOT NULL CHECK (dimensions BETWEEN 1 AND 16000),
    model_key text,
    status text NOT NULL CHECK (status IN ('pending', 'indexing', 'awaiting_vectors', 'ready', 'error')),
    enabled boolean NOT NULL DEFAULT true,
    error text,                   -- why the index is in error (or the last failed attempt)
    failures integer NOT NULL DEFAULT 0,  -- consecutive failed embedding batches (managed)
    retry_at timestamptz,         -- no new attempt before this (backoff after a failure)
    vector_table text NOT NULL,   -- rushdb.<vector_table>: one row per record
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT embedding_indexes_unique
        UNIQUE (label, property_name, source_type, similarity_function, dimensions)
);
COMMENT ON TABLE rushdb.embedding_indexes IS 'RushDB embedding indexes (managed and external) per (label, property)';

-- A server-generated UUIDv7 (RFC 9562): time-ordered, so records sort by
-- creation and the primary key index stays append-mostly.
CREATE FUNCTION rushdb.uuid_v7() RETURNS uuid
    AS 'MODULE_PATHNAME', 'rushdb_uuid_v7' LANGUAGE C VOLATILE PARALLEL SAFE;
ALTER TABLE rushdb.records ALTER COLUMN id SET DEFAULT rushdb.uuid_v7();
ALTER TABLE rushdb.embedding_indexes ALTER COLUMN id SET DEFAULT rushdb.uuid_v7();

-- Work for the embedding worker: one row per (managed index, record) whose
-- property was written since it was last embedded. Rows are only appended
-- (by the triggers on rushdb.records and by create_index) and deleted by
-- the worker in the transaction that stores the vectors, so a crash never
-- loses work nor embeds a record twice, and a write never waits for the
-- worker: a record written again while the worker embeds it has a newer row.
CREATE TABLE rushdb.embedding_queue (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    index_id uuid NOT NULL REFERENCES rushdb.embedding_indexes (id) ON DELETE CASCADE,
    record_id uuid NOT NULL
);
CREATE INDEX embedding_queue_index_idx ON rushdb.embedding_queue (index_id, seq);
COMMENT ON TABLE rushdb.embedding_queue IS 'Records waiting to be embedded into managed indexes';

-- The status a user sees: a ready managed index with queued records is
-- pending again until the worker has embedded them (computed, so writers
-- never update, and never queue behind each other on, the catalog row).
CREATE FUNCTION rushdb.index_status(ix rushdb.embedding_indexes) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN ix.source_type = 'managed' AND ix.status = 'ready'
                     AND EXISTS (SELECT 1 FROM rushdb.embedding_queue q WHERE q.index_id = ix.id)
                THEN 'pending' ELSE ix.status END
$$;

-- The index as the RushDB SDK shows it.
CREATE FUNCTION rushdb.index_json(ix rushdb.embedding_indexes) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', ix.id, 'label', ix.label, 'propertyName', ix.property_name,
        'sourceType', ix.source_type, 'similarityFunction', ix.similarity_function,
        'dimensions', ix.dimensions, 'modelKey', ix.model_key, 'status', rushdb.index_status(ix),
        'enabled', ix.enabled, 'error', ix.error,
        'createdAt', ix.created_at, 'updatedAt', ix.updated_at))
$$;

CREATE FUNCTION rushdb.raise_bad(msg text, detail text DEFAULT NULL, code text DEFAULT '22023')
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF detail IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = code, MESSAGE = msg;
    END IF;
    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = msg, DETAIL = detail;
END $$;

-- The HNSW index over an embedding index's storage, with the operator class
-- of its similarity function (used at creation and by bulk rebuilds).
CREATE FUNCTION rushdb.create_vector_index(ix rushdb.embedding_indexes) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('CREATE INDEX %I ON rushdb.%I USING rushdb_hnsw (embedding rushdb.%I)',
                   ix.vector_table || '_hnsw', ix.vector_table,
                   CASE ix.similarity_function WHEN 'cosine' THEN 'vector_cosine_ops' ELSE 'vector_l2_ops' END);
END $$;

-- (Re)builds the HNSW index of an embedding index's storage in memory, with
-- enough maintenance_work_mem for the whole graph (about 4 bytes per
-- dimension plus 400 bytes of links per row, capped at 8 GB) for this
-- transaction only. Used after bulk writes that dropped the index.
CREATE FUNCTION rushdb.build_vector_index(ix rushdb.embedding_indexes) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    present bigint;
    mwm_kb bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM rushdb.%I', ix.vector_table) INTO present;
    mwm_kb := least(greatest(present * (ix.dimensions * 4 + 400) * 12 / 10240,
                             pg_size_bytes(current_setting('maintenance_work_mem')) / 1024), 8 * 1024 * 1024);
    PERFORM set_config('maintenance_work_mem', mwm_kb || 'kB', true);
    PERFORM rushdb.create_vector_index(ix);
END $$;

-- create_index: RushDB's POST /ai/indexes.
--   external indexes need dimensions and start awaiting_vectors;
--   managed ones default their dimensions from rushdb.default_embedding_dimensions
--   and start pending (the backfill worker embeds the records).
CREATE FUNCTION rushdb.create_index(
    label text, property_name text, source_type text DEFAULT 'managed',
    similarity_function text DEFAULT 'cosine', dimensions integer DEFAULT NULL,
    model_key text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix rushdb.embedding_indexes;
    new_id uuid := rushdb.uuid_v7();
    tbl text := 'vectors_' || replace(new_id::text, '-', '');
    clash_type text;
BEGIN
    IF label IS NULL OR label = '' THEN PERFORM rushdb.raise_bad('label is required'); END IF;
    IF property_name IS NULL OR property_name = '' THEN PERFORM rushdb.raise_bad('propertyName is required'); END IF;
    IF property_name IN ('__id', '__label', '__proptypes', '__score', '__vectors') OR left(property_name, 1) = '$' THEN
        PERFORM rushdb.raise_bad(format('"%s" is a reserved name and cannot be indexed', property_name));
    END IF;
    source_type := coalesce(source_type, 'managed');
    IF source_type NOT IN ('managed', 'external') THEN
        PERFORM rushdb.raise_bad(format('sourceType must be managed or external, not "%s"', source_type));
    END IF;
    similarity_function := coalesce(similarity_function, 'cosine');
    IF similarity_function NOT IN ('cosine', 'euclidean') THEN
        PERFORM rushdb.raise_bad(format('similarityFunction must be cosine or euclidean, not "%s"', similarity_function));
    END IF;
    IF dimensions IS NULL THEN
        IF source_type = 'external' THEN
            PERFORM rushdb.raise_bad('dimensions is required for an external index',
                                     'External vectors come from your own model; give their length.');
        END IF;
        -- missing_ok: the setting exists only once the library is loaded,
        -- which no C function may have done yet in this session.
        dimensions := coalesce(current_setting('rushdb.default_embedding_dimensions', true), '384')::integer;
    END IF;
    IF dimensions < 1 OR dimensions > 16000 THEN
        PERFORM rushdb.raise_bad(format('dimensions must be between 1 and 16000, not %s', dimensions));
    END IF;
    -- RushDB indexes string and string-array properties only.
    SELECT r.proptypes ->> property_name INTO clash_type FROM rushdb.records r
    WHERE r.label = create_index.label AND r.proptypes ? property_name
      AND r.proptypes ->> property_name <> 'string'
    LIMIT 1;
    IF clash_type IS NOT NULL THEN
        PERFORM rushdb.raise_bad(
            format('cannot index property "%s" of label "%s": records hold it as %s', property_name, label, clash_type),
            'Embedding indexes cover string and string-array properties only.');
    END IF;
    IF source_type = 'managed' THEN
        model_key := coalesce(model_key, current_setting('rushdb.default_embedding_model', true), 'builtin-lexical-v1');
        -- One test embedding of the right length, so a misconfigured
        -- provider fails here and not later in the background.
        PERFORM rushdb.check_embedding_provider(model_key, dimensions);
    END IF;

    BEGIN
        INSERT INTO rushdb.embedding_indexes AS e
            (id, label, property_name, source_type, similarity_function, dimensions, model_key, status, vector_table)
        VALUES (new_id, label, property_name, source_type, similarity_function, dimensions,
                model_key,
                CASE WHEN source_type = 'external' THEN 'awaiting_vectors' ELSE 'pending' END, tbl)
        RETURNING * INTO ix;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION USING ERRCODE = 'unique_violation',
            MESSAGE = format('an embedding index already exists for label "%s", property "%s" (%s, %s, %s dimensions)',
                             label, property_name, source_type, similarity_function, dimensions),
            HINT = 'Use a different sourceType, similarityFunction or dimensions, or delete the existing index.';
    END;

    EXECUTE format('CREATE TABLE rushdb.%I (
                        record_id uuid PRIMARY KEY REFERENCES rushdb.records (id) ON DELETE CASCADE,
                        embedding rushdb.vector(%s) NOT NULL,
                        updated_at timestamptz NOT NULL DEFAULT now())', tbl, dimensions);
    PERFORM rushdb.create_vector_index(ix);
    IF source_type = 'managed' THEN
        -- Backfill: every record that has the property, oldest first.
        INSERT INTO rushdb.embedding_queue (index_id, record_id)
        SELECT ix.id, r.id FROM rushdb.records r
        WHERE r.label = ix.label AND r.properties ? ix.property_name ORDER BY r.id;
        PERFORM rushdb.wake_embedding_worker();
    END IF;
    RETURN rushdb.index_json(ix);
END $$;

-- The SDK's parameter object: {label, propertyName, sourceType | external: true,
-- similarityFunction, dimensions, modelKey}.
CREATE FUNCTION rushdb.create_index(params jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    source text := params ->> 'sourceType';
BEGIN
    IF params IS NULL OR jsonb_typeof(params) <> 'object' THEN
        PERFORM rushdb.raise_bad('create_index expects a JSON object {label, propertyName, ...}');
    END IF;
    IF source IS NULL AND params ? 'external' THEN
        IF jsonb_typeof(params -> 'external') <> 'boolean' THEN
            PERFORM rushdb.raise_bad('"external" must be true or false');
        END IF;
        source := CASE WHEN (params ->> 'external')::boolean THEN 'external' ELSE 'managed' END;
    END IF;
    IF params ? 'dimensions' AND jsonb_typeof(params -> 'dimensions') <> 'number' THEN
        PERFORM rushdb.raise_bad('"dimensions" must be a number');
    END IF;
    RETURN rushdb.create_index(params ->> 'label', params ->> 'propertyName', source,
                               params ->> 'similarityFunction', (params ->> 'dimensions')::integer,
                               params ->> 'modelKey');
END $$;

CREATE FUNCTION rushdb.list_indexes() RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(jsonb_agg(rushdb.index_json(e) ORDER BY e.created_at, e.id), '[]')
    FROM rushdb.embedding_indexes e
$$;

CREATE FUNCTION rushdb.lookup_index(index_id uuid) RETURNS rushdb.embedding_indexes
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE ix rushdb.embedding_indexes;
BEGIN
    IF index_id IS NULL THEN PERFORM rushdb.raise_bad('index id is required', NULL, '22004'); END IF;
    SELECT * INTO ix FROM rushdb.embedding_indexes WHERE id = index_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object', MESSAGE = format('embedding index %s does not exist', index_id);
    END IF;
    RETURN ix;
END $$;

CREATE FUNCTION rushdb.get_index(index_id uuid) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT rushdb.index_json(rushdb.lookup_index(index_id))
$$;

CREATE FUNCTION rushdb.delete_index(index_id uuid) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE ix rushdb.embedding_indexes := rushdb.lookup_index(index_id);
BEGIN
    EXECUTE format('DROP TABLE IF EXISTS rushdb.%I', ix.vector_table);  -- may have been dropped by hand
    DELETE FROM rushdb.embedding_indexes WHERE id = ix.id;
    RETURN jsonb_build_object('deleted', true, 'id', ix.id);
END $$;

-- {totalRecords, indexedRecords, status} for the index's label + property;
-- managed indexes add pendingRecords (records queued for embedding), the
-- consecutive failure count and the last error.
CREATE FUNCTION rushdb.index_stats(index_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix rushdb.embedding_indexes := rushdb.lookup_index(index_id);
    total bigint;
    indexed bigint;
    queued bigint;
BEGIN
    SELECT count(*) INTO total FROM rushdb.records r
    WHERE r.label = ix.label AND r.properties ? ix.property_name AND r.properties -> ix.property_name <> 'null';
    EXECUTE format('SELECT count(*) FROM rushdb.%I', ix.vector_table) INTO indexed;
    IF ix.source_type = 'external' THEN
        RETURN jsonb_build_object('totalRecords', total, 'indexedRecords', indexed, 'status', ix.status);
    END IF;
    SELECT count(DISTINCT q.record_id) INTO queued FROM rushdb.embedding_queue q WHERE q.index_id = ix.id;
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'totalRecords', total, 'indexedRecords', indexed, 'pendingRecords', queued,
        'status', rushdb.index_status(ix), 'failures', ix.failures, 'error', ix.error,
        'retryAt', ix.retry_at));
END $$;
