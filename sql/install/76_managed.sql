-- Managed embeddings: the server embeds a string property itself and keeps
-- the vectors current (docs/managed.md).
--
-- Writes to rushdb.records queue (index, record) pairs in
-- rushdb.embedding_queue; a background worker per database (src/pg/
-- embed_worker.cpp) embeds the queued records in batches with the index's
-- provider and stores the vectors.

-- Raises a clear error unless the provider of model_key gives a vector of
-- `dimensions` numbers for a test text (built-in: checks the key and size).
CREATE FUNCTION rushdb.check_embedding_provider(model_key text, dimensions integer) RETURNS void
    AS 'MODULE_PATHNAME', 'rushdb_check_embedding_provider' LANGUAGE C VOLATILE;

-- Asks for an embedding worker in this database once the transaction
-- commits (a worker started earlier could not see the uncommitted queue).
CREATE FUNCTION rushdb.wake_embedding_worker() RETURNS void
    AS 'MODULE_PATHNAME', 'rushdb_wake_embedding_worker' LANGUAGE C VOLATILE;

-- Starts the embedding worker of this database now unless one is running;
-- true when one was started. For work that is already committed (after a
-- restart without the launcher, for example).
CREATE FUNCTION rushdb.start_embedding_worker() RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_start_embedding_worker' LANGUAGE C VOLATILE;

-- The texts a property value is embedded from: a string, or each string of
-- an array of strings (mean-pooled). Anything else has no vector.
CREATE FUNCTION rushdb.embedding_texts(value jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE pg_catalog.jsonb_typeof(value)
        WHEN 'string' THEN ARRAY[value OPERATOR(pg_catalog.#>>) '{}']
        WHEN 'array' THEN (
            SELECT pg_catalog.array_agg(e.v OPERATOR(pg_catalog.#>>) '{}' ORDER BY e.o)
            FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY AS e(v, o)
            WHERE pg_catalog.jsonb_typeof(e.v) OPERATOR(pg_catalog.=) 'string')
        END
$$;

-- After a statement queued records for these indexes: an index in error is
-- retried (RushDB: a later write retries it), and a worker is asked for at
-- commit. Called by the queue triggers below (SECURITY DEFINER callers).
CREATE FUNCTION rushdb.after_queueing(touched uuid[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF touched IS NULL THEN
        RETURN;
    END IF;
    UPDATE rushdb.embedding_indexes e SET status = 'pending', failures = 0, retry_at = NULL, updated_at = now()
    WHERE e.id = ANY (touched) AND e.status = 'error';
    PERFORM rushdb.wake_embedding_worker();
END $$;

-- Queue maintenance on rushdb.records, one statement at a time (a bulk
-- create_records is one INSERT, so one join against the catalog).
-- SECURITY DEFINER, owned by the extension's owner: a role that may write
-- records needs no rights on the queue or the catalog. It only appends
-- queue rows derived from the statement's own rows and resets managed
-- indexes in error (a later write retries them).
CREATE FUNCTION rushdb.queue_inserted_records() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    touched uuid[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM rushdb.embedding_indexes e WHERE e.source_type = 'managed') THEN
        RETURN NULL;
    END IF;
    WITH q AS (
        INSERT INTO rushdb.embedding_queue (index_id, record_id)
        SELECT e.id, n.id FROM new_rows n
        JOIN rushdb.embedding_indexes e ON e.label = n.label AND e.source_type = 'managed'
        WHERE n.properties ? e.property_name
        RETURNING index_id)
    SELECT array_agg(DISTINCT index_id) INTO touched FROM q;
    PERFORM rushdb.after_queueing(touched);
    RETURN NULL;
END $$;

-- An update queues a record for each managed index whose property changed
-- (value, presence, or the record's label), under the old and new label.
CREATE FUNCTION rushdb.queue_updated_records() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    touched uuid[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM rushdb.embedding_indexes e WHERE e.source_type = 'managed') THEN
        RETURN NULL;
    END IF;
    WITH changed AS (
        SELECT DISTINCT e.id AS index_id, n.id AS record_id
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN rushdb.embedding_indexes e ON e.source_type = 'managed' AND e.label IN (n.label, o.label)
        WHERE o.label IS DISTINCT FROM n.label
           OR (o.properties -> e.property_name) IS DISTINCT FROM (n.properties -> e.property_name)),
    q AS (
        INSERT INTO rushdb.embedding_queue (index_id, record_id)
        SELECT index_id, record_id FROM changed RETURNING index_id)
    SELECT array_agg(DISTINCT index_id) INTO touched FROM q;
    PERFORM rushdb.after_queueing(touched);
    RETURN NULL;
END $$;

CREATE TRIGGER records_queue_embeddings_insert AFTER INSERT ON rushdb.records
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rushdb.queue_inserted_records();
CREATE TRIGGER records_queue_embeddings_update AFTER UPDATE ON rushdb.records
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION rushdb.queue_updated_records();

-- Waits until a managed index has embedded everything queued (status
-- ready), has failed (status error), or timeout_seconds pass, and returns
-- the index as get_index shows it; the caller reads "status". Starts the
-- worker if none runs. Needs READ COMMITTED: each check takes a new snapshot.
CREATE FUNCTION rushdb.wait_for_index(index_id uuid, timeout_seconds double precision DEFAULT 60)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix rushdb.embedding_indexes := rushdb.lookup_index(index_id);
    deadline timestamptz := clock_timestamp() + make_interval(secs => timeout_seconds);
    st text;
BEGIN
    IF timeout_seconds IS NULL OR timeout_seconds < 0 OR timeout_seconds > 86400 THEN
        PERFORM rushdb.raise_bad(format('timeout_seconds must be between 0 and 86400, not %s',
                                        coalesce(timeout_seconds::text, 'null')));
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM rushdb.raise_bad('wait_for_index needs READ COMMITTED isolation: it would never see the worker''s progress',
                                 NULL, '25000');
    END IF;
    IF ix.source_type = 'managed' THEN
        PERFORM rushdb.start_embedding_worker();
    END IF;
    LOOP
        SELECT * INTO ix FROM rushdb.embedding_indexes e WHERE e.id = index_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_object',
                MESSAGE = format('embedding index %s was deleted while waiting', index_id);
        END IF;
        st := rushdb.index_status(ix);
        EXIT WHEN st IN ('ready', 'error', 'awaiting_vectors') OR clock_timestamp() >= deadline;
        PERFORM pg_sleep(least(0.05, greatest(extract(epoch FROM deadline - clock_timestamp()), 0)));
    END LOOP;
    RETURN rushdb.index_json(ix);
END $$;

-- Puts a managed index in error back to pending and starts the worker
-- (after fixing the provider settings, for example).
CREATE FUNCTION rushdb.retry_index(index_id uuid) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix rushdb.embedding_indexes := rushdb.lookup_index(index_id);
BEGIN
    IF ix.source_type <> 'managed' THEN
        PERFORM rushdb.raise_bad(format('index %s is external: its vectors come from upsert_vectors', ix.id));
    END IF;
    UPDATE rushdb.embedding_indexes e SET status = 'pending', failures = 0, retry_at = NULL, updated_at = now()
    WHERE e.id = ix.id AND e.status IN ('error', 'pending')
    RETURNING * INTO ix;
    PERFORM rushdb.wake_embedding_worker();
    RETURN rushdb.get_index(index_id);
END $$;
