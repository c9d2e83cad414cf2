-- Managed embeddings: the server embeds a string property itself and keeps
-- the vectors current (docs/managed.md).
--
-- Writes to rushdb.records queue (index, record) pairs in
-- rushdb_internal.embedding_queue; a background worker per database (src/pg/
-- embed_worker*.cpp) embeds the queued records in batches with the index's
-- provider and stores the vectors.

-- Raises a clear error unless the provider of model_key gives a vector of
-- `dimensions` numbers for a test text (built-in: checks the key and size).
CREATE OR REPLACE FUNCTION rushdb.check_embedding_provider(model_key text, dimensions integer) RETURNS void
    AS 'MODULE_PATHNAME', 'rushdb_check_embedding_provider' LANGUAGE C VOLATILE;

-- The queue is written by the extension only (the triggers below, the
-- privileged operations, the worker: all as its owner, whom row-level
-- security does not restrict). Ordinary roles may read the (index, record)
-- pairs of the records they can see, as they read the vector tables, so
-- index_stats' pendingRecords counts no record hidden from the caller.
ALTER TABLE rushdb_internal.embedding_queue ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS readable_records ON rushdb_internal.embedding_queue;
CREATE POLICY readable_records ON rushdb_internal.embedding_queue FOR SELECT TO PUBLIC
    USING (rushdb_internal.record_visible(record_id));
GRANT SELECT (index_id, record_id) ON rushdb_internal.embedding_queue TO PUBLIC;

-- Asks for an embedding worker in this database once the transaction
-- commits (a worker started earlier could not see the uncommitted queue).
CREATE OR REPLACE FUNCTION rushdb_internal.wake_embedding_worker() RETURNS void
    AS 'MODULE_PATHNAME', 'rushdb_wake_embedding_worker' LANGUAGE C VOLATILE;

-- Starts the embedding worker of this database now unless one is running;
-- true when one was started. For work that is already committed (after a
-- restart without the launcher, for example).
CREATE OR REPLACE FUNCTION rushdb.start_embedding_worker() RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_start_embedding_worker' LANGUAGE C VOLATILE;

-- The text a property value is embedded from: a string, or the strings of
-- an array joined with single spaces in order (RushDB's backfill does
-- `values.join(' ')`: one text, one vector). Anything else has no vector.
-- An array (one element at most, kept for the worker's batch format).
CREATE OR REPLACE FUNCTION rushdb_internal.embedding_texts(value jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE pg_catalog.jsonb_typeof(value)
        WHEN 'string' THEN ARRAY[value OPERATOR(pg_catalog.#>>) '{}']
        WHEN 'array' THEN (
            SELECT CASE WHEN pg_catalog.count(*) OPERATOR(pg_catalog.>) 0
                        THEN ARRAY[pg_catalog.string_agg(e.v OPERATOR(pg_catalog.#>>) '{}', ' ' ORDER BY e.o)] END
            FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY AS e(v, o)
            WHERE pg_catalog.jsonb_typeof(e.v) OPERATOR(pg_catalog.=) 'string')
        END
$$;

-- After a statement queued records for these indexes: an index in error is
-- retried (RushDB: a later write retries it), and a worker is asked for at
-- commit. Called by the queue triggers below (SECURITY DEFINER callers).
CREATE OR REPLACE FUNCTION rushdb_internal.after_queueing(touched uuid[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF touched IS NULL THEN
        RETURN;
    END IF;
    PERFORM rushdb_internal.index_retry(touched, also_pending => false);
    PERFORM rushdb_internal.wake_embedding_worker();
END $$;

-- Queue maintenance on rushdb.records, one statement at a time (a bulk
-- create_records is one INSERT, so one join against the catalog).
-- SECURITY DEFINER, owned by the extension's owner: a role that may write
-- records needs no rights on the queue or the catalog. It only appends
-- queue rows derived from the statement's own rows and resets managed
-- indexes in error (a later write retries them).
--
-- A restore queues nothing: pg_restore and the scripts of pg_dump and
-- pg_dumpall load rushdb.records in sessions with row_security = off (they
-- always set it) after the catalog, and bring the queue and every vector
-- along. Queueing the loaded records would embed all of them again (and the
-- new queue rows would collide with the restored ones on seq).
CREATE OR REPLACE FUNCTION rushdb_internal.queue_inserted_records() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    touched uuid[];
BEGIN
    IF current_setting('row_security') = 'off'
       OR NOT EXISTS (SELECT 1 FROM rushdb.embedding_indexes e WHERE e.source_type = 'managed') THEN
        RETURN NULL;
    END IF;
    WITH q AS (
        INSERT INTO rushdb_internal.embedding_queue (index_id, record_id)
        SELECT e.id, n.id FROM new_rows n
        JOIN rushdb.embedding_indexes e ON e.label = n.label AND e.source_type = 'managed'
        WHERE n.properties ? e.property_name
        RETURNING index_id)
    SELECT array_agg(DISTINCT index_id) INTO touched FROM q;
    PERFORM rushdb_internal.after_queueing(touched);
    RETURN NULL;
END $$;

-- An update queues a record for each managed index whose property changed
-- (value, presence, or the record's label), under the old and new label.
CREATE OR REPLACE FUNCTION rushdb_internal.queue_updated_records() RETURNS trigger
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
        INSERT INTO rushdb_internal.embedding_queue (index_id, record_id)
        SELECT index_id, record_id FROM changed RETURNING index_id)
    SELECT array_agg(DISTINCT index_id) INTO touched FROM q;
    PERFORM rushdb_internal.after_queueing(touched);
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER records_queue_embeddings_insert AFTER INSERT ON rushdb.records
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rushdb_internal.queue_inserted_records();
CREATE OR REPLACE TRIGGER records_queue_embeddings_update AFTER UPDATE ON rushdb.records
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION rushdb_internal.queue_updated_records();

REVOKE ALL ON FUNCTION rushdb_internal.wake_embedding_worker(), rushdb_internal.after_queueing(uuid[]),
    rushdb_internal.queue_inserted_records(), rushdb_internal.queue_updated_records() FROM PUBLIC;

COMMENT ON FUNCTION rushdb.check_embedding_provider(text, integer) IS
    'Raises unless the provider of a model key returns vectors of the given length';
COMMENT ON FUNCTION rushdb.start_embedding_worker() IS
    'Starts this database''s embedding worker unless one runs; true when one was started';
