-- New in 0.2.0: rushdb_hnsw by taxicab distance (<+>), as pgvector's
-- vector_l1_ops.

CREATE FUNCTION rushdb_internal.hnsw_metric_l1(internal) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_metric_l1' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OPERATOR CLASS rushdb.vector_l1_ops
    FOR TYPE rushdb.vector USING rushdb_hnsw AS
        OPERATOR 1 rushdb.<+> (rushdb.vector, rushdb.vector) FOR ORDER BY pg_catalog.float_ops,
        FUNCTION 1 rushdb_internal.hnsw_metric_l1(internal);
