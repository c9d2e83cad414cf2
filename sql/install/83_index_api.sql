-- Embedding indexes: RushDB's /ai/indexes API. These run with the caller's
-- rights; what they change in the catalog goes through
-- rushdb_internal.privileged (82_index_ops.sql).

-- create_index: RushDB's POST /ai/indexes.
--   external indexes need dimensions and start awaiting_vectors;
--   managed ones default their dimensions from rushdb.default_embedding_dimensions
--   and start pending (the backfill worker embeds the records).
CREATE OR REPLACE FUNCTION rushdb.create_index(
    label text, property_name text, source_type text DEFAULT 'managed',
    similarity_function text DEFAULT 'cosine', dimensions integer DEFAULT NULL,
    model_key text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    clash_type text;
BEGIN
    IF label IS NULL OR label = '' THEN PERFORM rushdb_internal.raise_bad('label is required', NULL, '22004'); END IF;
    IF property_name IS NULL OR property_name = '' THEN
        PERFORM rushdb_internal.raise_bad('propertyName is required', NULL, '22004');
    END IF;
    IF property_name IN ('__id', '__label', '__proptypes', '__score', '__vectors') OR left(property_name, 1) = '$' THEN
        PERFORM rushdb_internal.raise_bad(format('"%s" is a reserved name and cannot be indexed', property_name));
    END IF;
    source_type := coalesce(source_type, 'managed');
    IF source_type NOT IN ('managed', 'external') THEN
        PERFORM rushdb_internal.raise_bad(format('sourceType must be "managed" or "external", not "%s"', source_type));
    END IF;
    similarity_function := coalesce(similarity_function, 'cosine');
    IF similarity_function NOT IN ('cosine', 'euclidean') THEN
        PERFORM rushdb_internal.raise_bad(
            format('similarityFunction must be "cosine" or "euclidean", not "%s"', similarity_function));
    END IF;
    IF dimensions IS NULL THEN
        IF source_type = 'external' THEN
            PERFORM rushdb_internal.raise_bad('dimensions is required for an external index',
                                              'External vectors come from your own model; give their length.', '22004');
        END IF;
        -- missing_ok: the setting exists only once the library is loaded,
        -- which no C function may have done yet in this session.
        dimensions := coalesce(current_setting('rushdb.default_embedding_dimensions', true), '384')::integer;
    END IF;
    IF dimensions < 1 OR dimensions > 16000 THEN
        PERFORM rushdb_internal.raise_bad(format('dimensions must be between 1 and 16000, not %s', dimensions));
    END IF;
    IF source_type = 'external' AND model_key IS NOT NULL THEN
        PERFORM rushdb_internal.raise_bad('modelKey is for managed indexes; an external index has no model');
    END IF;
    -- RushDB indexes string and string-array properties only. With the
    -- caller's rights: records she cannot see do not decide (nor leak).
    SELECT r.proptypes ->> property_name INTO clash_type FROM rushdb.records r
    WHERE r.label = create_index.label AND r.proptypes ? property_name
      AND r.proptypes ->> property_name <> 'string'
    LIMIT 1;
    IF clash_type IS NOT NULL THEN
        PERFORM rushdb_internal.raise_bad(
            format('cannot index property "%s" of label "%s": records hold it as %s', property_name, label, clash_type),
            'Embedding indexes cover string and string-array properties only.');
    END IF;
    IF source_type = 'managed' THEN
        model_key := coalesce(model_key, current_setting('rushdb.default_embedding_model', true), 'builtin-lexical-v1');
        -- One test embedding of the right length, so a misconfigured
        -- provider fails here and not later in the background.
        PERFORM rushdb.check_embedding_provider(model_key, dimensions);
    END IF;
    RETURN rushdb_internal.privileged('create_index', jsonb_build_object(
        'label', label, 'propertyName', property_name, 'sourceType', source_type,
        'similarityFunction', similarity_function, 'dimensions', dimensions, 'modelKey', model_key));
END $$;

-- The SDK's parameter object: {label, propertyName, sourceType | external: true,
-- similarityFunction, dimensions, modelKey}.
CREATE OR REPLACE FUNCTION rushdb.create_index(params jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    source text := params ->> 'sourceType';
BEGIN
    IF params IS NULL OR jsonb_typeof(params) <> 'object' THEN
        PERFORM rushdb_internal.raise_bad('create_index expects a JSON object {label, propertyName, ...}');
    END IF;
    PERFORM rushdb_internal.check_keys(params,
        ARRAY['label', 'propertyName', 'sourceType', 'external', 'similarityFunction', 'dimensions', 'modelKey'],
        'create_index');
    IF params ? 'external' THEN
        IF jsonb_typeof(params -> 'external') <> 'boolean' THEN
            PERFORM rushdb_internal.raise_bad('"external" must be true or false');
        END IF;
        IF source IS NOT NULL AND (source = 'external') <> (params ->> 'external')::boolean THEN
            PERFORM rushdb_internal.raise_bad(format('"external": %s contradicts "sourceType": "%s"',
                                                     params ->> 'external', source));
        END IF;
        source := CASE WHEN (params ->> 'external')::boolean THEN 'external' ELSE 'managed' END;
    END IF;
    IF params ? 'dimensions' AND (jsonb_typeof(params -> 'dimensions') <> 'number'
                                  OR (params ->> 'dimensions')::numeric <> trunc((params ->> 'dimensions')::numeric)) THEN
        PERFORM rushdb_internal.raise_bad('"dimensions" must be a whole number');
    END IF;
    IF (params ->> 'dimensions')::numeric NOT BETWEEN 1 AND 16000 THEN
        PERFORM rushdb_internal.raise_bad(format('dimensions must be between 1 and 16000, not %s', params ->> 'dimensions'));
    END IF;
    RETURN rushdb.create_index(params ->> 'label', params ->> 'propertyName', source,
                               params ->> 'similarityFunction',
                               (params ->> 'dimensions')::integer,
                               params ->> 'modelKey');
END $$;

CREATE OR REPLACE FUNCTION rushdb.list_indexes() RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(jsonb_agg(rushdb_internal.index_json(e) ORDER BY e.created_at, e.id), '[]')
    FROM rushdb.embedding_indexes e
$$;

CREATE OR REPLACE FUNCTION rushdb.get_index(index_id uuid) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT rushdb_internal.index_json(rushdb_internal.lookup_index(index_id))
$$;

CREATE OR REPLACE FUNCTION rushdb.delete_index(index_id uuid) RETURNS jsonb
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT rushdb_internal.privileged('delete_index', jsonb_build_object('indexId', index_id))
$$;

-- {totalRecords, indexedRecords, status} for the index's label + property,
-- counted over the records the caller can see; managed indexes add
-- pendingRecords (records queued for embedding), the consecutive failure
-- count and the last error.
CREATE OR REPLACE FUNCTION rushdb.index_stats(index_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix rushdb.embedding_indexes := rushdb_internal.lookup_index(index_id);
    total bigint;
    indexed bigint;
BEGIN
    SELECT count(*) INTO total FROM rushdb.records r
    WHERE r.label = ix.label AND r.properties ? ix.property_name AND r.properties -> ix.property_name <> 'null';
    EXECUTE format('SELECT count(*) FROM %s', rushdb_internal.vector_storage(ix)) INTO indexed;
    IF ix.source_type = 'external' THEN
        RETURN jsonb_build_object('totalRecords', total, 'indexedRecords', indexed, 'status', ix.status);
    END IF;
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'totalRecords', total, 'indexedRecords', indexed, 'pendingRecords', rushdb_internal.queued_records(ix.id),
        'status', rushdb_internal.index_status(ix), 'failures', ix.failures, 'error', ix.error,
        'retryAt', ix.retry_at));
END $$;

-- Puts a managed index in error back to pending and starts the worker
-- (after fixing the provider settings, for example).
CREATE OR REPLACE FUNCTION rushdb.retry_index(index_id uuid) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM rushdb_internal.privileged('retry_index', jsonb_build_object('indexId', index_id));
    RETURN rushdb.get_index(index_id);
END $$;

-- Recreates a missing vector table from the catalog row (see docs/backup.md:
-- logical replication carries rows, not DDL).
CREATE OR REPLACE FUNCTION rushdb.repair_index(index_id uuid) RETURNS jsonb
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT rushdb_internal.privileged('repair_index', jsonb_build_object('indexId', index_id))
$$;

-- Waits until a managed index has embedded everything queued (status
-- ready), has failed (status error), or timeout_seconds pass, and returns
-- the index as get_index shows it; the caller reads "status". Starts the
-- worker if none runs. Needs READ COMMITTED: each check takes a new snapshot.
CREATE OR REPLACE FUNCTION rushdb.wait_for_index(index_id uuid, timeout_seconds double precision DEFAULT 60)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix rushdb.embedding_indexes := rushdb_internal.lookup_index(index_id);
    deadline timestamptz;
    st text;
BEGIN
    IF timeout_seconds IS NULL OR timeout_seconds < 0 OR timeout_seconds > 86400 THEN
        PERFORM rushdb_internal.raise_bad(format('timeout_seconds must be between 0 and 86400, not %s',
                                                 coalesce(timeout_seconds::text, 'null')));
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM rushdb_internal.raise_bad(
            'wait_for_index needs READ COMMITTED isolation: it would never see the worker''s progress', NULL, '25000');
    END IF;
    deadline := clock_timestamp() + make_interval(secs => timeout_seconds);
    IF ix.source_type = 'managed' THEN
        PERFORM rushdb.start_embedding_worker();
    END IF;
    LOOP
        SELECT * INTO ix FROM rushdb.embedding_indexes e WHERE e.id = index_id;
        IF NOT FOUND THEN
            PERFORM rushdb_internal.raise_bad(format('embedding index %s was deleted while waiting', index_id),
                                              NULL, '42704');
        END IF;
        st := rushdb_internal.index_status(ix);
        EXIT WHEN st IN ('ready', 'error', 'awaiting_vectors') OR clock_timestamp() >= deadline;
        PERFORM pg_sleep(least(0.05, greatest(extract(epoch FROM deadline - clock_timestamp()), 0)));
    END LOOP;
    RETURN rushdb_internal.index_json(ix);
END $$;

-- Creating indexes is granted, not given to everyone: a managed index
-- makes the server embed (and with an HTTP provider, pay for) every record
-- of a label. Deleting, retrying and repairing need ownership of the index.
REVOKE ALL ON FUNCTION rushdb.create_index(text, text, text, text, integer, text), rushdb.create_index(jsonb) FROM PUBLIC;

COMMENT ON FUNCTION rushdb.create_index(text, text, text, text, integer, text) IS
    'Creates an embedding index (managed or external) on a label''s string property; RushDB POST /ai/indexes';
COMMENT ON FUNCTION rushdb.create_index(jsonb) IS
    'Creates an embedding index from the SDK object {label, propertyName, sourceType|external, similarityFunction, dimensions, modelKey}';
COMMENT ON FUNCTION rushdb.list_indexes() IS 'Every embedding index, as the SDK shows it';
COMMENT ON FUNCTION rushdb.get_index(uuid) IS 'One embedding index, as the SDK shows it';
COMMENT ON FUNCTION rushdb.delete_index(uuid) IS 'Deletes an embedding index and its vectors (owner only)';
COMMENT ON FUNCTION rushdb.index_stats(uuid) IS 'Record, vector and queue counts of an embedding index';
COMMENT ON FUNCTION rushdb.retry_index(uuid) IS 'Retries a managed index in error (owner only)';
COMMENT ON FUNCTION rushdb.repair_index(uuid) IS 'Recreates the missing vector table of an embedding index (owner only)';
COMMENT ON FUNCTION rushdb.wait_for_index(uuid, double precision) IS
    'Waits until a managed index is ready or in error, or the timeout passes; returns the index';
