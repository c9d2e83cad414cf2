-- rushdb.vector: float32 elements, 1..16000 dimensions, typmod = dimensions.
\echo Use "CREATE EXTENSION rushdb" to load this file. \quit

CREATE TYPE rushdb.vector;

CREATE FUNCTION rushdb.vector_in(cstring, oid, integer) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_out(rushdb.vector) RETURNS cstring
    AS 'MODULE_PATHNAME', 'rushdb_vector_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_typmod_in(cstring[]) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_vector_typmod_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_recv(internal, oid, integer) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_send(rushdb.vector) RETURNS bytea
    AS 'MODULE_PATHNAME', 'rushdb_vector_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- STORAGE main: vectors stay inline in the heap tuple while they fit a page
-- (about 2,000 dimensions), so a sequential scan reads them without TOAST
-- lookups; float data does not compress, and pglz gives up on it quickly.
CREATE TYPE rushdb.vector (
    INPUT = rushdb.vector_in,
    OUTPUT = rushdb.vector_out,
    TYPMOD_IN = rushdb.vector_typmod_in,
    RECEIVE = rushdb.vector_recv,
    SEND = rushdb.vector_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = main
);

COMMENT ON TYPE rushdb.vector IS
    'float32 vector, 1..16000 dimensions; text form [1,2,3] (pgvector-compatible)';

-- vector(n) enforcement on assignment and explicit casts.
CREATE FUNCTION rushdb.vector(rushdb.vector, integer, boolean) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_enforce_typmod' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (rushdb.vector AS rushdb.vector)
    WITH FUNCTION rushdb.vector(rushdb.vector, integer, boolean) AS IMPLICIT;

-- Arrays -> vector. One C function serves every numeric element type.
CREATE FUNCTION rushdb.array_to_vector(real[], integer, boolean) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_array_to_vector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.array_to_vector(double precision[], integer, boolean) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_array_to_vector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.array_to_vector(integer[], integer, boolean) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_array_to_vector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.array_to_vector(numeric[], integer, boolean) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_array_to_vector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE CAST (real[] AS rushdb.vector)
    WITH FUNCTION rushdb.array_to_vector(real[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (double precision[] AS rushdb.vector)
    WITH FUNCTION rushdb.array_to_vector(double precision[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (integer[] AS rushdb.vector)
    WITH FUNCTION rushdb.array_to_vector(integer[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (numeric[] AS rushdb.vector)
    WITH FUNCTION rushdb.array_to_vector(numeric[], integer, boolean) AS ASSIGNMENT;

-- jsonb array of numbers -> vector (explicit: '[...]'::jsonb::rushdb.vector).
CREATE FUNCTION rushdb.jsonb_to_vector(jsonb, integer, boolean) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_jsonb_to_vector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (jsonb AS rushdb.vector)
    WITH FUNCTION rushdb.jsonb_to_vector(jsonb, integer, boolean);

-- vector -> real[].
CREATE FUNCTION rushdb.vector_to_float4(rushdb.vector, integer, boolean) RETURNS real[]
    AS 'MODULE_PATHNAME', 'rushdb_vector_to_float4' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (rushdb.vector AS real[])
    WITH FUNCTION rushdb.vector_to_float4(rushdb.vector, integer, boolean) AS ASSIGNMENT;
-- Distances, norms, arithmetic and their operators.

CREATE FUNCTION rushdb.l2_distance(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_l2_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.l2_squared_distance(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_l2_squared_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- NaN when either side is a zero vector (no direction to compare).
CREATE FUNCTION rushdb.cosine_distance(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_cosine_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.inner_product(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.negative_inner_product(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_negative_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.l1_distance(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_l1_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION rushdb.vector_dims(rushdb.vector) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_vector_dims' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_norm(rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_vector_norm' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.l2_normalize(rushdb.vector) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_l2_normalize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- subvector(v, start, count): 1-based start.
CREATE FUNCTION rushdb.subvector(rushdb.vector, integer, integer) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_subvector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION rushdb.vector_add(rushdb.vector, rushdb.vector) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_sub(rushdb.vector, rushdb.vector) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_sub' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_mul(rushdb.vector, rushdb.vector) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_mul' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR rushdb.<-> (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.l2_distance, COMMUTATOR = OPERATOR(rushdb.<->));
CREATE OPERATOR rushdb.<=> (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.cosine_distance, COMMUTATOR = OPERATOR(rushdb.<=>));
CREATE OPERATOR rushdb.<#> (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.negative_inner_product, COMMUTATOR = OPERATOR(rushdb.<#>));
CREATE OPERATOR rushdb.<+> (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.l1_distance, COMMUTATOR = OPERATOR(rushdb.<+>));

CREATE OPERATOR rushdb.+ (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_add, COMMUTATOR = OPERATOR(rushdb.+));
CREATE OPERATOR rushdb.- (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_sub);
CREATE OPERATOR rushdb.* (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_mul, COMMUTATOR = OPERATOR(rushdb.*));
-- Comparisons and the default btree operator class (ORDER BY, DISTINCT,
-- unique indexes). Order: elementwise, then fewer dimensions first.

CREATE FUNCTION rushdb.vector_lt(rushdb.vector, rushdb.vector) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_vector_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_le(rushdb.vector, rushdb.vector) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_vector_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_eq(rushdb.vector, rushdb.vector) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_vector_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_ne(rushdb.vector, rushdb.vector) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_vector_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_ge(rushdb.vector, rushdb.vector) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_vector_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_gt(rushdb.vector, rushdb.vector) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_vector_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_cmp(rushdb.vector, rushdb.vector) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_vector_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR rushdb.< (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_lt, COMMUTATOR = OPERATOR(rushdb.>), NEGATOR = OPERATOR(rushdb.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR rushdb.<= (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_le, COMMUTATOR = OPERATOR(rushdb.>=), NEGATOR = OPERATOR(rushdb.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR rushdb.= (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_eq, COMMUTATOR = OPERATOR(rushdb.=), NEGATOR = OPERATOR(rushdb.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, MERGES);
CREATE OPERATOR rushdb.<> (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_ne, COMMUTATOR = OPERATOR(rushdb.<>), NEGATOR = OPERATOR(rushdb.=),
    RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR rushdb.>= (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_ge, COMMUTATOR = OPERATOR(rushdb.<=), NEGATOR = OPERATOR(rushdb.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR rushdb.> (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_gt, COMMUTATOR = OPERATOR(rushdb.<), NEGATOR = OPERATOR(rushdb.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel);

CREATE OPERATOR CLASS rushdb.vector_ops
    DEFAULT FOR TYPE rushdb.vector USING btree AS
        OPERATOR 1 rushdb.< ,
        OPERATOR 2 rushdb.<= ,
        OPERATOR 3 rushdb.= ,
        OPERATOR 4 rushdb.>= ,
        OPERATOR 5 rushdb.> ,
        FUNCTION 1 rushdb.vector_cmp(rushdb.vector, rushdb.vector);
-- avg / sum over vectors, parallel-safe: the float8[] state {count, sums...}
-- is combined by adding partial states.

CREATE FUNCTION rushdb.vector_accum(double precision[], rushdb.vector) RETURNS double precision[]
    AS 'MODULE_PATHNAME', 'rushdb_vector_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_combine(double precision[], double precision[]) RETURNS double precision[]
    AS 'MODULE_PATHNAME', 'rushdb_vector_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_avg_final(double precision[]) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_avg_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_sum_final(double precision[]) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_sum_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE rushdb.avg(rushdb.vector) (
    SFUNC = rushdb.vector_accum,
    STYPE = double precision[],
    FINALFUNC = rushdb.vector_avg_final,
    COMBINEFUNC = rushdb.vector_combine,
    INITCOND = '{0}',
    PARALLEL = SAFE
);

CREATE AGGREGATE rushdb.sum(rushdb.vector) (
    SFUNC = rushdb.vector_accum,
    STYPE = double precision[],
    FINALFUNC = rushdb.vector_sum_final,
    COMBINEFUNC = rushdb.vector_combine,
    INITCOND = '{0}',
    PARALLEL = SAFE
);
-- rushdb_hnsw: HNSW index access method over rushdb.vector.
--   CREATE INDEX ON items USING rushdb_hnsw (embedding rushdb.vector_cosine_ops)
--       WITH (m = 16, ef_construction = 64);
-- Support function 1 of each operator class names the metric the graph uses.

CREATE FUNCTION rushdb.hnsw_handler(internal) RETURNS index_am_handler
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_handler' LANGUAGE C;

CREATE ACCESS METHOD rushdb_hnsw TYPE INDEX HANDLER rushdb.hnsw_handler;
COMMENT ON ACCESS METHOD rushdb_hnsw IS 'HNSW approximate nearest-neighbour index for rushdb.vector';

CREATE FUNCTION rushdb.hnsw_metric_l2(internal) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_metric_l2' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rushdb.hnsw_metric_cosine(internal) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_metric_cosine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rushdb.hnsw_metric_ip(internal) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_metric_ip' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OPERATOR CLASS rushdb.vector_l2_ops
    FOR TYPE rushdb.vector USING rushdb_hnsw AS
        OPERATOR 1 rushdb.<-> (rushdb.vector, rushdb.vector) FOR ORDER BY pg_catalog.float_ops,
        FUNCTION 1 rushdb.hnsw_metric_l2(internal);

CREATE OPERATOR CLASS rushdb.vector_cosine_ops
    FOR TYPE rushdb.vector USING rushdb_hnsw AS
        OPERATOR 1 rushdb.<=> (rushdb.vector, rushdb.vector) FOR ORDER BY pg_catalog.float_ops,
        FUNCTION 1 rushdb.hnsw_metric_cosine(internal);

CREATE OPERATOR CLASS rushdb.vector_ip_ops
    FOR TYPE rushdb.vector USING rushdb_hnsw AS
        OPERATOR 1 rushdb.<#> (rushdb.vector, rushdb.vector) FOR ORDER BY pg_catalog.float_ops,
        FUNCTION 1 rushdb.hnsw_metric_ip(internal);

-- Graph invariants of a rushdb_hnsw index (amcheck-style): no rows = clean.
CREATE FUNCTION rushdb.hnsw_verify_problems(regclass) RETURNS text[]
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_verify' LANGUAGE C STRICT;
CREATE FUNCTION rushdb.hnsw_verify(index regclass) RETURNS SETOF text
    LANGUAGE sql STRICT
    AS $$ SELECT unnest(rushdb.hnsw_verify_problems(index)) $$;
-- Exact k nearest neighbours by one fast pass over a table (no index):
--   SELECT i.* FROM rushdb.exact_top_k('items', 'embedding', '[...]', 10, 'cosine') e
--   JOIN items i ON i.ctid = e.row_tid ORDER BY e.distance;
-- metric: l2 (euclidean), cosine, inner_product (returns -a.b like <#>), l1.
CREATE FUNCTION rushdb.exact_top_k(tbl regclass, col name, query rushdb.vector, k integer,
                                   metric text DEFAULT 'l2')
    RETURNS TABLE (row_tid tid, distance double precision)
    AS 'MODULE_PATHNAME', 'rushdb_exact_top_k' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED ROWS 10;
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
-- Helpers the compiled where-filters call (contract: docs/where-filter.md).

-- A property's value, or each element when it is an array; nothing when the
-- property is absent or null. No SET search_path (it would stop PostgreSQL
-- from inlining this into the query); every name is schema-qualified instead.
CREATE FUNCTION rushdb.prop_values(properties jsonb, key text) RETURNS SETOF jsonb
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
CREATE FUNCTION rushdb.try_timestamptz(value text) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'rushdb_try_timestamptz' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
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
-- upsert_vectors and search.

-- Checks that every record exists and carries the index's label.
CREATE FUNCTION rushdb.check_records_for_index(ix rushdb.embedding_indexes, ids uuid[])
RETURNS void LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing uuid;
    other_label text;
    other_id uuid;
BEGIN
    SELECT i INTO missing FROM unnest(ids) i
    WHERE i IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rushdb.records r WHERE r.id = i) LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('record %s does not exist', missing);
    END IF;
    SELECT r.id, r.label INTO other_id, other_label FROM rushdb.records r
    WHERE r.id = ANY (ids) AND r.label <> ix.label LIMIT 1;
    IF other_id IS NOT NULL THEN
        PERFORM rushdb.raise_bad(format('record %s has label "%s"; index %s is for label "%s"',
                                        other_id, other_label, ix.id, ix.label));
    END IF;
END $$;

-- Writes vectors (already validated: dimensions, records, label) into an
-- index's storage: insert or replace, the last of repeated record ids wins.
-- A batch at least as large as what the index already holds (1,000 rows or
-- more) is a bulk load: the HNSW index is dropped, the rows written and the
-- index rebuilt in memory with parallel threads, which is several times
-- faster than inserting into the graph row by row. This takes the storage
-- table's exclusive lock until the transaction ends. Returns rows written.
CREATE FUNCTION rushdb.store_vectors(ix rushdb.embedding_indexes, record_ids uuid[], vectors rushdb.vector[])
RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n integer := coalesce(cardinality(record_ids), 0);
    present bigint;
    written bigint;
    rebuild boolean := false;
BEGIN
    IF n >= 1000 THEN
        EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM rushdb.%I LIMIT $1) s', ix.vector_table)
            INTO present USING n;
        rebuild := present < n;
    END IF;
    IF rebuild THEN
        EXECUTE format('DROP INDEX IF EXISTS rushdb.%I', ix.vector_table || '_hnsw');
    END IF;
    EXECUTE format(
        'INSERT INTO rushdb.%I AS t (record_id, embedding)
         SELECT DISTINCT ON (i) i, v FROM unnest($1, $2) WITH ORDINALITY AS u(i, v, o) ORDER BY i, o DESC
         ON CONFLICT (record_id) DO UPDATE SET embedding = excluded.embedding, updated_at = now()',
        ix.vector_table) USING record_ids, vectors;
    GET DIAGNOSTICS written = ROW_COUNT;
    IF rebuild THEN
        PERFORM rushdb.build_vector_index(ix);
    END IF;
    IF written > 0 AND ix.status = 'awaiting_vectors' THEN
        UPDATE rushdb.embedding_indexes SET status = 'ready', updated_at = now()
        WHERE id = ix.id AND status = 'awaiting_vectors';
    END IF;
    RETURN written;
END $$;

-- The fast form for bulk loads (drivers, COPY-staged data): parallel arrays.
-- Idempotent by record id; a repeated id in one call: the last one wins.
CREATE FUNCTION rushdb.upsert_vectors(index_id uuid, record_ids uuid[], vectors rushdb.vector[])
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix rushdb.embedding_indexes := rushdb.lookup_index(index_id);
    n integer := coalesce(cardinality(record_ids), 0);
    bad integer;
    written bigint;
BEGIN
    IF ix.source_type <> 'external' THEN
        PERFORM rushdb.raise_bad(format('index %s is managed: its vectors are computed by the server', ix.id),
                                 'upsert_vectors writes to external indexes only.');
    END IF;
    IF record_ids IS NULL OR vectors IS NULL THEN
        PERFORM rushdb.raise_bad('record ids and vectors are required', NULL, '22004');
    END IF;
    IF n <> coalesce(cardinality(vectors), 0) THEN
        PERFORM rushdb.raise_bad(format('%s record ids but %s vectors', n, coalesce(cardinality(vectors), 0)));
    END IF;
    SELECT o INTO bad FROM unnest(record_ids, vectors) WITH ORDINALITY AS u(i, v, o)
    WHERE i IS NULL OR v IS NULL LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM rushdb.raise_bad(format('item %s has a null record id or vector', bad), NULL, '22004');
    END IF;
    SELECT o INTO bad FROM unnest(vectors) WITH ORDINALITY AS u(v, o)
    WHERE rushdb.vector_dims(v) <> ix.dimensions LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM rushdb.raise_bad(format('vector %s has %s dimensions; index %s expects %s',
                                        bad, rushdb.vector_dims(vectors[bad]), ix.id, ix.dimensions));
    END IF;
    PERFORM rushdb.check_records_for_index(ix, record_ids);
    written := rushdb.store_vectors(ix, record_ids, vectors);
    RETURN jsonb_build_object('updated', written, 'requested', n);
END $$;

-- items: [{recordId, vector}], RushDB's upsertVectors body.
CREATE FUNCTION rushdb.upsert_vectors(index_id uuid, items jsonb)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ids uuid[] := '{}';
    vecs rushdb.vector[] := '{}';
    item jsonb;
    pos integer := 0;
BEGIN
    PERFORM rushdb.lookup_index(index_id);
    IF items IS NULL OR jsonb_typeof(items) <> 'array' THEN
        PERFORM rushdb.raise_bad('items must be a JSON array of {recordId, vector}');
    END IF;
    FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
        pos := pos + 1;
        IF jsonb_typeof(item) <> 'object' OR jsonb_typeof(item -> 'recordId') IS DISTINCT FROM 'string'
           OR jsonb_typeof(item -> 'vector') IS DISTINCT FROM 'array' THEN
            PERFORM rushdb.raise_bad(format('item %s must be {"recordId": "<uuid>", "vector": [numbers]}', pos));
        END IF;
        BEGIN
            ids := ids || (item ->> 'recordId')::uuid;
        EXCEPTION WHEN invalid_text_representation THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_text_representation',
                MESSAGE = format('item %s: recordId "%s" is not a record id', pos, item ->> 'recordId');
        END;
        vecs := vecs || (item -> 'vector')::rushdb.vector;
    END LOOP;
    RETURN rushdb.upsert_vectors(index_id, ids, vecs);
END $$;

-- SDK form: {indexId, items}.
CREATE FUNCTION rushdb.upsert_vectors(params jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF params IS NULL OR jsonb_typeof(params) <> 'object' OR jsonb_typeof(params -> 'indexId') IS DISTINCT FROM 'string' THEN
        PERFORM rushdb.raise_bad('upsert_vectors expects {"indexId": "<uuid>", "items": [...]}');
    END IF;
    RETURN rushdb.upsert_vectors((params ->> 'indexId')::uuid, params -> 'items');
END $$;

-- search: records ranked by similarity of a property's vector to
-- query_vector, best first, each as the record's JSON plus __score
-- (cosine: (1 + cos) / 2; euclidean: 1 / (1 + d^2)). Implemented in C
-- (src/pg/search_api.cpp): argument checks, the index choice of
-- resolve_search_index, the where-filter compiler, and the ranked query from
-- a backend-cached plan, so the API adds little to the bare query.
CREATE FUNCTION rushdb.search(
    label text, property_name text, query_vector rushdb.vector,
    "limit" integer DEFAULT 20, skip integer DEFAULT 0, "where" jsonb DEFAULT '{}',
    similarity_function text DEFAULT NULL, source_type text DEFAULT NULL, dimensions integer DEFAULT NULL,
    mode text DEFAULT 'auto', ef integer DEFAULT NULL)
RETURNS SETOF jsonb AS 'MODULE_PATHNAME', 'rushdb_search' LANGUAGE C VOLATILE ROWS 20;

-- search_text: the same search with a natural-language query, embedded by
-- the managed index's provider (RushDB's default mode). source_type may
-- only be NULL or 'managed'; a property with only an external index is an
-- error that says to give a query vector.
CREATE FUNCTION rushdb.search_text(
    label text, property_name text, query text,
    "limit" integer DEFAULT 20, skip integer DEFAULT 0, "where" jsonb DEFAULT '{}',
    similarity_function text DEFAULT NULL, source_type text DEFAULT NULL, dimensions integer DEFAULT NULL,
    mode text DEFAULT 'auto', ef integer DEFAULT NULL)
RETURNS SETOF jsonb AS 'MODULE_PATHNAME', 'rushdb_search_text' LANGUAGE C VOLATILE ROWS 20;

-- SDK form: {label | labels: [one], propertyName, queryVector | query,
-- where, limit, skip, similarityFunction, sourceType, dimensions, mode, ef};
-- returns the result array.
CREATE FUNCTION rushdb.search(params jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    lbl text := params ->> 'label';
BEGIN
    IF params IS NULL OR jsonb_typeof(params) <> 'object' THEN
        PERFORM rushdb.raise_bad('search expects a JSON object {label, propertyName, queryVector | query, ...}');
    END IF;
    IF lbl IS NULL AND jsonb_typeof(params -> 'labels') = 'array' THEN
        IF jsonb_array_length(params -> 'labels') <> 1 THEN
            PERFORM rushdb.raise_bad('labels must hold exactly one label for a vector search');
        END IF;
        lbl := params -> 'labels' ->> 0;
    END IF;
    IF params ? 'query' AND params ? 'queryVector' THEN
        PERFORM rushdb.raise_bad('give either "query" (text, for a managed index) or "queryVector", not both');
    END IF;
    IF params ? 'query' THEN
        IF jsonb_typeof(params -> 'query') <> 'string' THEN
            PERFORM rushdb.raise_bad('"query" must be a string');
        END IF;
        RETURN coalesce((SELECT jsonb_agg(t.x ORDER BY t.o) FROM rushdb.search_text(
            lbl, params ->> 'propertyName', params ->> 'query',
            coalesce((params ->> 'limit')::integer, 20), coalesce((params ->> 'skip')::integer, 0),
            coalesce(params -> 'where', '{}'), params ->> 'similarityFunction', params ->> 'sourceType',
            (params ->> 'dimensions')::integer, coalesce(params ->> 'mode', 'auto'),
            (params ->> 'ef')::integer) WITH ORDINALITY AS t(x, o)), '[]');
    END IF;
    IF jsonb_typeof(params -> 'queryVector') IS DISTINCT FROM 'array' THEN
        PERFORM rushdb.raise_bad('"queryVector" (an array of numbers) or "query" (text) is required', NULL, '22004');
    END IF;
    RETURN coalesce((SELECT jsonb_agg(t.x ORDER BY t.o) FROM rushdb.search(
        lbl, params ->> 'propertyName', (params -> 'queryVector')::rushdb.vector,
        coalesce((params ->> 'limit')::integer, 20), coalesce((params ->> 'skip')::integer, 0),
        coalesce(params -> 'where', '{}'), params ->> 'similarityFunction', params ->> 'sourceType',
        (params ->> 'dimensions')::integer, coalesce(params ->> 'mode', 'auto'),
        (params ->> 'ef')::integer) WITH ORDINALITY AS t(x, o)), '[]');
END $$;

-- Server-side embedding of one text with a managed-index provider: a
-- built-in model (builtin-lexical-v1: offline, deterministic, lexical; see
-- src/core/embed/README.md) or, for any other model key, the
-- OpenAI-compatible API at rushdb.embedding_endpoint. An empty or wordless
-- text gives the built-in model's zero vector. STABLE, not IMMUTABLE: what
-- an HTTP model returns depends on settings and on the server.
CREATE FUNCTION rushdb.embed_text(input text, dimensions integer DEFAULT 384,
                                  model_key text DEFAULT 'builtin-lexical-v1')
    RETURNS rushdb.vector AS 'MODULE_PATHNAME', 'rushdb_embed_text' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
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
-- Which distance kernel set this backend runs (scalar, sse2, avx2+fma,
-- avx512f, neon). SET rushdb.simd = '<name>' forces one (tests, benchmarks).
CREATE FUNCTION rushdb.simd_info() RETURNS text
    AS 'MODULE_PATHNAME', 'rushdb_simd_info' LANGUAGE C STABLE STRICT PARALLEL SAFE;
