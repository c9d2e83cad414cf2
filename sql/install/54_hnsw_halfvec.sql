-- New in 0.2.0: rushdb_hnsw over rushdb.halfvec, by the four distances of
-- vector's classes. Support function 1 returns the metric with the
-- half-keys flag: the index widens each halfvec to float32 (exactly) and
-- holds float32 in its graph, so it answers as a vector index over the
-- same values would.

CREATE FUNCTION rushdb_internal.hnsw_halfvec_metric_l2(internal) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_halfvec_metric_l2' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rushdb_internal.hnsw_halfvec_metric_cosine(internal) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_halfvec_metric_cosine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rushdb_internal.hnsw_halfvec_metric_ip(internal) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_halfvec_metric_ip' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rushdb_internal.hnsw_halfvec_metric_l1(internal) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_halfvec_metric_l1' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OPERATOR CLASS rushdb.halfvec_l2_ops
    FOR TYPE rushdb.halfvec USING rushdb_hnsw AS
        OPERATOR 1 rushdb.<-> (rushdb.halfvec, rushdb.halfvec) FOR ORDER BY pg_catalog.float_ops,
        FUNCTION 1 rushdb_internal.hnsw_halfvec_metric_l2(internal);

CREATE OPERATOR CLASS rushdb.halfvec_cosine_ops
    FOR TYPE rushdb.halfvec USING rushdb_hnsw AS
        OPERATOR 1 rushdb.<=> (rushdb.halfvec, rushdb.halfvec) FOR ORDER BY pg_catalog.float_ops,
        FUNCTION 1 rushdb_internal.hnsw_halfvec_metric_cosine(internal);

CREATE OPERATOR CLASS rushdb.halfvec_ip_ops
    FOR TYPE rushdb.halfvec USING rushdb_hnsw AS
        OPERATOR 1 rushdb.<#> (rushdb.halfvec, rushdb.halfvec) FOR ORDER BY pg_catalog.float_ops,
        FUNCTION 1 rushdb_internal.hnsw_halfvec_metric_ip(internal);

CREATE OPERATOR CLASS rushdb.halfvec_l1_ops
    FOR TYPE rushdb.halfvec USING rushdb_hnsw AS
        OPERATOR 1 rushdb.<+> (rushdb.halfvec, rushdb.halfvec) FOR ORDER BY pg_catalog.float_ops,
        FUNCTION 1 rushdb_internal.hnsw_halfvec_metric_l1(internal);
