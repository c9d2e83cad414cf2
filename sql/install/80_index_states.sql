-- The status of an embedding index, owned here: every change of
-- rushdb.embedding_indexes.status, and of failures, error and retry_at that
-- go with it, is one of these functions. The privileged operations (82),
-- the queue triggers (86), upsert_vectors (82) and the embedding worker
-- (src/pg/embed_worker_batch.cpp, through SPI) call them; nobody else
-- writes those columns. docs/managed.md has the table of states and
-- transitions. The status users see is rushdb_internal.index_status (81):
-- a ready managed index with queued records shows as pending.
--
-- Files 80 to 89 hold only CREATE OR REPLACE statements, grants and
-- comments (the upgrade from 0.1.0 runs them again as they are).

-- The first status of a new index (create_index), or of one whose vector
-- table is recreated (repair_index): managed indexes wait for the worker,
-- external ones for vectors.
CREATE OR REPLACE FUNCTION rushdb_internal.initial_status(source_type text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN source_type = 'external' THEN 'awaiting_vectors' ELSE 'pending' END
$$;

-- repair_index: back to the first status, failures forgotten.
CREATE OR REPLACE FUNCTION rushdb_internal.index_reset(index_id uuid) RETURNS rushdb.embedding_indexes
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE rushdb.embedding_indexes e
    SET status = rushdb_internal.initial_status(e.source_type),
        failures = 0, error = NULL, retry_at = NULL, updated_at = now()
    WHERE e.id = index_reset.index_id RETURNING *
$$;

-- Managed indexes in error back to pending, failures and backoff forgotten
-- (the cause stays in error until a batch succeeds): a later write to the
-- property retries an index in error (RushDB's rule, the queue triggers);
-- retry_index (also_pending) also cuts short the backoff of a pending one.
CREATE OR REPLACE FUNCTION rushdb_internal.index_retry(index_ids uuid[], also_pending boolean) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE rushdb.embedding_indexes e SET status = 'pending', failures = 0, retry_at = NULL, updated_at = now()
    WHERE e.id = ANY (index_retry.index_ids)
      AND (e.status = 'error' OR (index_retry.also_pending AND e.status = 'pending'))
$$;

-- The worker read a batch of the index's queue: pending (or ready with new
-- queue rows) becomes indexing.
CREATE OR REPLACE FUNCTION rushdb_internal.index_batch_read(index_id uuid) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE rushdb.embedding_indexes e SET status = 'indexing', updated_at = now()
    WHERE e.id = index_batch_read.index_id AND e.status IN ('pending', 'ready')
$$;

-- The worker stored a batch: the failure count starts again (the status
-- stays indexing until the queue is drained).
CREATE OR REPLACE FUNCTION rushdb_internal.index_batch_stored(index_id uuid) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE rushdb.embedding_indexes e SET failures = 0, error = NULL, retry_at = NULL
    WHERE e.id = index_batch_stored.index_id
      AND (e.failures <> 0 OR e.error IS NOT NULL OR e.retry_at IS NOT NULL)
$$;

-- The worker found the index's queue empty: pending or indexing becomes
-- ready (unless rows were queued meanwhile).
CREATE OR REPLACE FUNCTION rushdb_internal.index_drained(index_id uuid) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE rushdb.embedding_indexes e SET status = 'ready', failures = 0, error = NULL, retry_at = NULL,
           updated_at = now()
    WHERE e.id = index_drained.index_id AND e.status IN ('pending', 'indexing')
      AND NOT EXISTS (SELECT 1 FROM rushdb_internal.embedding_queue q WHERE q.index_id = e.id)
$$;

-- A batch failed with `cause`: back to pending with a retry time
-- retry_base_ms * 2^(failures so far) ahead, or to error once max_failures
-- batches failed in a row (rushdb.embedding_max_failures and
-- rushdb.embedding_retry_delay, passed by the worker).
CREATE OR REPLACE FUNCTION rushdb_internal.index_batch_failed(index_id uuid, cause text, max_failures integer,
                                                              retry_base_ms float8) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE rushdb.embedding_indexes e SET failures = e.failures + 1, updated_at = now(),
        status = CASE WHEN e.failures + 1 >= index_batch_failed.max_failures THEN 'error' ELSE 'pending' END,
        error = CASE WHEN e.failures + 1 >= index_batch_failed.max_failures
                     THEN format('embedding failed %s times in a row: %s', e.failures + 1, index_batch_failed.cause)
                     ELSE format('attempt %s failed, will retry: %s', e.failures + 1, index_batch_failed.cause) END,
        retry_at = CASE WHEN e.failures + 1 >= index_batch_failed.max_failures THEN NULL
                        ELSE clock_timestamp() + make_interval(secs => index_batch_failed.retry_base_ms
                                                                       * power(2, e.failures) / 1000.0) END
    WHERE e.id = index_batch_failed.index_id
$$;

-- upsert_vectors wrote vectors into an external index that had none yet.
CREATE OR REPLACE FUNCTION rushdb_internal.index_vectors_written(index_id uuid) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE rushdb.embedding_indexes e SET status = 'ready', updated_at = now()
    WHERE e.id = index_vectors_written.index_id AND e.status = 'awaiting_vectors'
$$;

-- Only the extension's owner (the privileged operations, the SECURITY
-- DEFINER queue triggers, the worker) changes an index's status.
REVOKE ALL ON FUNCTION rushdb_internal.initial_status(text),
    rushdb_internal.index_reset(uuid),
    rushdb_internal.index_retry(uuid[], boolean),
    rushdb_internal.index_batch_read(uuid),
    rushdb_internal.index_batch_stored(uuid),
    rushdb_internal.index_drained(uuid),
    rushdb_internal.index_batch_failed(uuid, text, integer, float8),
    rushdb_internal.index_vectors_written(uuid)
FROM PUBLIC;
