-- rushdb_hnsw: HNSW index access method over rushdb.vector.
--   CREATE INDEX ON items USING rushdb_hnsw (embedding rushdb.vector_cosine_ops)
--       WITH (m = 16, ef_construction = 64);
-- Support function 1 of each operator class names the metric the graph uses.

CREATE FUNCTION rushdb_internal.hnsw_handler(internal) RETURNS index_am_handler
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_handler' LANGUAGE C;

CREATE ACCESS METHOD rushdb_hnsw TYPE INDEX HANDLER rushdb_internal.hnsw_handler;
COMMENT ON ACCESS METHOD rushdb_hnsw IS 'HNSW approximate nearest-neighbour index for rushdb.vector';

CREATE FUNCTION rushdb_internal.hnsw_metric_l2(internal) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_metric_l2' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rushdb_internal.hnsw_metric_cosine(internal) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_metric_cosine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rushdb_internal.hnsw_metric_ip(internal) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_metric_ip' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OPERATOR CLASS rushdb.vector_l2_ops
    FOR TYPE rushdb.vector USING rushdb_hnsw AS
        OPERATOR 1 rushdb.<-> (rushdb.vector, rushdb.vector) FOR ORDER BY pg_catalog.float_ops,
        FUNCTION 1 rushdb_internal.hnsw_metric_l2(internal);

CREATE OPERATOR CLASS rushdb.vector_cosine_ops
    FOR TYPE rushdb.vector USING rushdb_hnsw AS
        OPERATOR 1 rushdb.<=> (rushdb.vector, rushdb.vector) FOR ORDER BY pg_catalog.float_ops,
        FUNCTION 1 rushdb_internal.hnsw_metric_cosine(internal);

CREATE OPERATOR CLASS rushdb.vector_ip_ops
    FOR TYPE rushdb.vector USING rushdb_hnsw AS
        OPERATOR 1 rushdb.<#> (rushdb.vector, rushdb.vector) FOR ORDER BY pg_catalog.float_ops,
        FUNCTION 1 rushdb_internal.hnsw_metric_ip(internal);

