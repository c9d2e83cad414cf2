-- Privileged operations: rushdb_internal.privileged(op, ...) runs
-- rushdb_internal.op_<op>(caller, args, ids, vectors) as the extension's
-- owner. Nobody else may execute these directly. Each checks what the
-- calling role may do; arguments are re-validated here because the
-- trampoline can be called without the API in front of it.

-- The HNSW index over an embedding index's storage, with the operator class
-- of its similarity function (used at creation and by bulk rebuilds).
CREATE OR REPLACE FUNCTION rushdb_internal.create_vector_index(ix rushdb.embedding_indexes) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('CREATE INDEX %I ON %s USING rushdb_hnsw (embedding rushdb.%I)',
                   ix.vector_table || '_hnsw', rushdb_internal.vector_storage(ix),
                   CASE ix.similarity_function WHEN 'cosine' THEN 'vector_cosine_ops' ELSE 'vector_l2_ops' END);
END $$;

-- (Re)builds the HNSW index of an embedding index's storage in memory, with
-- enough maintenance_work_mem for the whole graph (about 4 bytes per
-- dimension plus 400 bytes of links per row, capped at 8 GB) for this
-- transaction only. Used after bulk writes that dropped the index.
CREATE OR REPLACE FUNCTION rushdb_internal.build_vector_index(ix rushdb.embedding_indexes) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    present bigint;
    mwm_kb bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', rushdb_internal.vector_storage(ix)) INTO present;
    mwm_kb := least(greatest(present * (ix.dimensions * 4 + 400) * 12 / 10240,
                             pg_size_bytes(current_setting('maintenance_work_mem')) / 1024), 8 * 1024 * 1024);
    PERFORM set_config('maintenance_work_mem', mwm_kb || 'kB', true);
    PERFORM rushdb_internal.create_vector_index(ix);
END $$;

-- The bulk-load rule, the one place it is written: writing `incoming` rows
-- into an index's vector table is a bulk load when they are at least 1,000
-- and more than the table holds (a new index's backfill, a first import).
-- The HNSW index is then dropped, the rows written and the index rebuilt in
-- memory once (build_vector_index) with parallel threads, several times
-- faster than inserting into the graph row by row. Used by the embedding
-- worker for its backlog (src/pg/embed_worker_batch.cpp) and by
-- op_store_vectors for a batch. The table is checked (vector_storage) only
-- when the count is reached.
CREATE OR REPLACE FUNCTION rushdb_internal.is_bulk_load(ix rushdb.embedding_indexes, incoming bigint) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    present bigint;
BEGIN
    IF incoming < 1000 THEN
        RETURN false;
    END IF;
    EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %s LIMIT $1) s', rushdb_internal.vector_storage(ix))
        INTO present USING incoming;
    RETURN present < incoming;
END $$;

-- Inserts or replaces the vectors of records in a vector table, the last of
-- repeated record ids winning; returns the rows written. The one vector
-- upsert: op_store_vectors and the worker's store step both run it.
CREATE OR REPLACE FUNCTION rushdb_internal.write_vectors(storage regclass, ids uuid[], vectors rushdb.vector[])
RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    written bigint;
BEGIN
    EXECUTE format(
        'INSERT INTO %s AS t (record_id, embedding)
         SELECT DISTINCT ON (i) i, v FROM unnest($1, $2) WITH ORDINALITY AS u(i, v, o) ORDER BY i, o DESC
         ON CONFLICT (record_id) DO UPDATE SET embedding = excluded.embedding, updated_at = now()',
        storage) USING ids, vectors;
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END $$;

-- The vector table of an index: one row per record, removed with the
-- record; readable by every role for the records it can read (row-level
-- security), written by the extension only.
CREATE OR REPLACE FUNCTION rushdb_internal.create_vector_table(ix rushdb.embedding_indexes) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('CREATE TABLE rushdb_internal.%I (
                        record_id uuid PRIMARY KEY REFERENCES rushdb.records (id) ON DELETE CASCADE,
                        embedding rushdb.vector(%s) NOT NULL,
                        updated_at timestamptz NOT NULL DEFAULT now())', ix.vector_table, ix.dimensions);
    PERFORM rushdb_internal.protect_vector_table(rushdb_internal.vector_storage(ix));
    EXECUTE format('COMMENT ON TABLE rushdb_internal.%I IS %L', ix.vector_table,
                   format('vectors of embedding index %s (%s.%s)', ix.id, ix.label, ix.property_name));
    PERFORM rushdb_internal.create_vector_index(ix);
END $$;

-- Queues every record of the index's label that has the property (a new
-- managed index's backfill, or a repair), oldest first.
CREATE OR REPLACE FUNCTION rushdb_internal.queue_backfill(ix rushdb.embedding_indexes) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO rushdb_internal.embedding_queue (index_id, record_id)
    SELECT ix.id, r.id FROM rushdb.records r
    WHERE r.label = ix.label AND r.properties ? ix.property_name ORDER BY r.id;
    PERFORM rushdb_internal.wake_embedding_worker();
END $$;

CREATE OR REPLACE FUNCTION rushdb_internal.check_owner(caller regrole, ix rushdb.embedding_indexes, action text)
RETURNS void LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_has_role(caller, ix.owner, 'USAGE') THEN
        PERFORM rushdb_internal.raise_bad(
            format('permission denied to %s embedding index %s', action, ix.id),
            format('The index belongs to role %s.', ix.owner), '42501',
            format('Only %s, its members and superusers may %s it.', ix.owner, action));
    END IF;
END $$;

-- create_index's writes. args: {label, propertyName, sourceType,
-- similarityFunction, dimensions, modelKey}, validated by the API.
CREATE OR REPLACE FUNCTION rushdb_internal.op_create_index(caller regrole, args jsonb, ids uuid[], vectors rushdb.vector[])
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix rushdb.embedding_indexes;
    new_id uuid := rushdb.uuid_v7();
BEGIN
    IF NOT has_function_privilege(caller, 'rushdb.create_index(text, text, text, text, integer, text)', 'EXECUTE') THEN
        PERFORM rushdb_internal.raise_bad('permission denied to create embedding indexes', NULL, '42501',
                                          'A superuser grants it: GRANT EXECUTE ON FUNCTION rushdb.create_index(jsonb), '
                                          'rushdb.create_index(text, text, text, text, integer, text) TO <role>.');
    END IF;
    BEGIN
        INSERT INTO rushdb.embedding_indexes AS e
            (id, label, property_name, source_type, similarity_function, dimensions, model_key, status,
             vector_table, owner)
        VALUES (new_id, args ->> 'label', args ->> 'propertyName', args ->> 'sourceType',
                args ->> 'similarityFunction', (args ->> 'dimensions')::integer, args ->> 'modelKey',
                rushdb_internal.initial_status(args ->> 'sourceType'),
                'vectors_' || replace(new_id::text, '-', ''), caller)
        RETURNING * INTO ix;
    EXCEPTION WHEN unique_violation THEN
        PERFORM rushdb_internal.raise_bad(
            format('an embedding index already exists for label "%s", property "%s" (%s, %s, %s dimensions)',
                   args ->> 'label', args ->> 'propertyName', args ->> 'sourceType', args ->> 'similarityFunction',
                   args ->> 'dimensions'), NULL, '23505',
            'Use a different sourceType, similarityFunction or dimensions, or delete the existing index.');
    END;
    PERFORM rushdb_internal.create_vector_table(ix);
    IF ix.source_type = 'managed' THEN
        PERFORM rushdb_internal.queue_backfill(ix);
    END IF;
    RETURN rushdb_internal.index_json(ix);
END $$;

CREATE OR REPLACE FUNCTION rushdb_internal.op_delete_index(caller regrole, args jsonb, ids uuid[], vectors rushdb.vector[])
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix rushdb.embedding_indexes := rushdb_internal.lookup_index((args ->> 'indexId')::uuid);
    storage regclass := to_regclass(format('rushdb_internal.%I', ix.vector_table));
BEGIN
    PERFORM rushdb_internal.check_owner(caller, ix, 'delete');
    IF storage IS NOT NULL THEN  -- a missing table (a logical subscriber, say) is no reason to keep the row
        EXECUTE format('DROP TABLE %s', rushdb_internal.vector_storage(ix));
    END IF;
    DELETE FROM rushdb.embedding_indexes WHERE id = ix.id;
    RETURN jsonb_build_object('deleted', true, 'id', ix.id);
END $$;

-- Puts a managed index in error back to pending and asks for the worker.
CREATE OR REPLACE FUNCTION rushdb_internal.op_retry_index(caller regrole, args jsonb, ids uuid[], vectors rushdb.vector[])
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix rushdb.embedding_indexes := rushdb_internal.lookup_index((args ->> 'indexId')::uuid);
BEGIN
    PERFORM rushdb_internal.check_owner(caller, ix, 'retry');
    IF ix.source_type <> 'managed' THEN
        PERFORM rushdb_internal.raise_bad(format('index %s is external: its vectors come from upsert_vectors', ix.id));
    END IF;
    PERFORM rushdb_internal.index_retry(ARRAY[ix.id], also_pending => true);
    PERFORM rushdb_internal.wake_embedding_worker();
    RETURN NULL;
END $$;

-- Recreates the vector table of an index whose table is missing (a logical
-- replication subscriber receives catalog rows but no DDL; or the table was
-- dropped by hand). A managed index is backfilled again; an external one
-- waits for vectors.
CREATE OR REPLACE FUNCTION rushdb_internal.op_repair_index(caller regrole, args jsonb, ids uuid[], vectors rushdb.vector[])
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix rushdb.embedding_indexes := rushdb_internal.lookup_index((args ->> 'indexId')::uuid);
BEGIN
    PERFORM rushdb_internal.check_owner(caller, ix, 'repair');
    IF to_regclass(format('rushdb_internal.%I', ix.vector_table)) IS NOT NULL THEN
        PERFORM rushdb_internal.vector_storage(ix);  -- raises if it is not the extension's table
        RETURN jsonb_build_object('repaired', false, 'id', ix.id);
    END IF;
    DELETE FROM rushdb_internal.embedding_queue q WHERE q.index_id = ix.id;
    SELECT * INTO ix FROM rushdb_internal.index_reset(ix.id);
    PERFORM rushdb_internal.create_vector_table(ix);
    IF ix.source_type = 'managed' THEN
        PERFORM rushdb_internal.queue_backfill(ix);
    END IF;
    RETURN jsonb_build_object('repaired', true, 'id', ix.id);
END $$;

-- Writes vectors into an external index's storage: insert or replace, the
-- last of repeated record ids wins. The trampoline has checked, with the
-- caller's rights, that every id is a record the caller can see and that
-- she may write records; this checks the index, the lengths and the label.
-- A batch that is a bulk load (is_bulk_load: 1,000 rows or more, more than
-- the index holds) is written with the HNSW index dropped and rebuilt after
-- (the storage table's exclusive lock is held until the transaction ends).
-- args: {indexId}.
CREATE OR REPLACE FUNCTION rushdb_internal.op_store_vectors(caller regrole, args jsonb, ids uuid[], vectors rushdb.vector[])
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix rushdb.embedding_indexes := rushdb_internal.lookup_index((args ->> 'indexId')::uuid);
    storage regclass := rushdb_internal.vector_storage(ix);
    n integer := coalesce(cardinality(ids), 0);
    bad integer;
    written bigint;
    rebuild boolean;
BEGIN
    IF ix.source_type <> 'external' THEN
        PERFORM rushdb_internal.raise_bad(format('index %s is managed: its vectors are computed by the server', ix.id),
                                          'upsert_vectors writes to external indexes only.');
    END IF;
    IF n <> coalesce(cardinality(vectors), 0) THEN
        PERFORM rushdb_internal.raise_bad(format('%s record ids but %s vectors', n, coalesce(cardinality(vectors), 0)));
    END IF;
    SELECT o INTO bad FROM unnest(ids, vectors) WITH ORDINALITY AS u(i, v, o)
    WHERE i IS NULL OR v IS NULL OR rushdb.vector_dims(v) <> ix.dimensions LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM rushdb_internal.raise_bad(format('item %s has a null record id, a null vector or not %s dimensions',
                                                 bad, ix.dimensions));
    END IF;
    -- Under cosine a zero vector has no direction: every distance to it is
    -- NaN, so it would rank last with a __score of "NaN". Refused, as a zero
    -- queryVector is.
    IF ix.similarity_function = 'cosine' THEN
        SELECT o INTO bad FROM unnest(vectors) WITH ORDINALITY AS u(v, o)
        WHERE rushdb.vector_norm(v) OPERATOR(pg_catalog.=) 0 LIMIT 1;
        IF bad IS NOT NULL THEN
            PERFORM rushdb_internal.raise_bad(
                format('item %s is a zero vector, which has no direction for cosine similarity', bad),
                hint => 'Pass a non-zero vector (cosine ignores length), or leave the record without a vector.');
        END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM rushdb.records r WHERE r.id = ANY (ids) AND r.label <> ix.label) THEN
        PERFORM rushdb_internal.raise_bad(format('a record is not of label "%s", the label of index %s', ix.label, ix.id));
    END IF;
    rebuild := rushdb_internal.is_bulk_load(ix, n);
    IF rebuild THEN
        EXECUTE format('DROP INDEX IF EXISTS rushdb_internal.%I', ix.vector_table || '_hnsw');
    END IF;
    written := rushdb_internal.write_vectors(storage, ids, vectors);
    IF rebuild THEN
        PERFORM rushdb_internal.build_vector_index(ix);
    END IF;
    IF written > 0 AND ix.status = 'awaiting_vectors' THEN
        PERFORM rushdb_internal.index_vectors_written(ix.id);
    END IF;
    RETURN jsonb_build_object('updated', written, 'requested', n);
END $$;

-- Nobody but the extension's owner runs these directly; the API reaches
-- them through rushdb_internal.privileged.
REVOKE ALL ON FUNCTION rushdb_internal.is_bulk_load(rushdb.embedding_indexes, bigint),
    rushdb_internal.write_vectors(regclass, uuid[], rushdb.vector[]),
    rushdb_internal.create_vector_index(rushdb.embedding_indexes),
    rushdb_internal.build_vector_index(rushdb.embedding_indexes),
    rushdb_internal.create_vector_table(rushdb.embedding_indexes),
    rushdb_internal.queue_backfill(rushdb.embedding_indexes),
    rushdb_internal.check_owner(regrole, rushdb.embedding_indexes, text),
    rushdb_internal.op_create_index(regrole, jsonb, uuid[], rushdb.vector[]),
    rushdb_internal.op_delete_index(regrole, jsonb, uuid[], rushdb.vector[]),
    rushdb_internal.op_retry_index(regrole, jsonb, uuid[], rushdb.vector[]),
    rushdb_internal.op_repair_index(regrole, jsonb, uuid[], rushdb.vector[]),
    rushdb_internal.op_store_vectors(regrole, jsonb, uuid[], rushdb.vector[])
FROM PUBLIC;
