-- RushDB records and embedding-index catalog (docs/byov.md), owned by the
-- extension's owner. Who may read and write what is in docs/security.md:
-- records are read and written with the caller's rights (so GRANTs and
-- row-level security policies on rushdb.records hold), the catalog is
-- readable by everyone and changed only through the API, the queue and the
-- vector tables are written only by the extension.

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
    vector_table text NOT NULL,   -- rushdb_internal.<vector_table>: one row per record
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

-- The role that created each index: it (and its members) may delete or
-- retry the index (added in 0.2.0, hence after the other columns).
ALTER TABLE rushdb.embedding_indexes ADD COLUMN owner regrole NOT NULL;
COMMENT ON COLUMN rushdb.embedding_indexes.owner IS 'Role that created the index; it and its members may delete or retry it';

-- Work for the embedding worker: one row per (managed index, record) whose
-- property was written since it was last embedded. Rows are only appended
-- (by the triggers on rushdb.records and by create_index) and deleted by
-- the worker in the transaction that stores the vectors, so a crash never
-- loses work nor embeds a record twice, and a write never waits for the
-- worker: a record written again while the worker embeds it has a newer row.
CREATE TABLE rushdb_internal.embedding_queue (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    index_id uuid NOT NULL REFERENCES rushdb.embedding_indexes (id) ON DELETE CASCADE,
    record_id uuid NOT NULL
);
CREATE INDEX embedding_queue_index_idx ON rushdb_internal.embedding_queue (index_id, seq);
COMMENT ON TABLE rushdb_internal.embedding_queue IS 'Records waiting to be embedded into managed indexes';

COMMENT ON FUNCTION rushdb.uuid_v7() IS 'A new time-ordered UUID (RFC 9562 version 7), as record and index ids use';

-- pg_dump dumps the rows of these extension tables (the per-index vector
-- tables in rushdb_internal are ordinary tables and are dumped whole).
SELECT pg_catalog.pg_extension_config_dump('rushdb.records', '');
SELECT pg_catalog.pg_extension_config_dump('rushdb.embedding_indexes', '');
SELECT pg_catalog.pg_extension_config_dump('rushdb_internal.embedding_queue', '');
SELECT pg_catalog.pg_extension_config_dump('rushdb_internal.embedding_queue_seq_seq', '');

-- Privileges (docs/security.md). Records: none by default; a DBA grants
-- SELECT / INSERT / UPDATE / DELETE on rushdb.records to the roles that
-- read and write them, and may add row-level security policies. The
-- catalog: readable by everyone, changed only through the API.
REVOKE ALL ON rushdb.records, rushdb.embedding_indexes, rushdb_internal.embedding_queue FROM PUBLIC;
GRANT SELECT ON rushdb.embedding_indexes TO PUBLIC;
