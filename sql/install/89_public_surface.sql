-- The public surface: what `\df rushdb.*` lists is the API, each with a
-- COMMENT (type support, index-method support and the verifier's C half
-- live in rushdb_internal). Re-runnable: the upgrade from 0.1.0 runs it too.

-- Graph invariants of a rushdb_hnsw index (amcheck-style): no rows = clean.
CREATE OR REPLACE FUNCTION rushdb_internal.hnsw_verify_problems(regclass) RETURNS text[]
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_verify' LANGUAGE C STRICT;
CREATE OR REPLACE FUNCTION rushdb.hnsw_verify(index regclass) RETURNS SETOF text
    LANGUAGE sql STRICT
    AS $$ SELECT unnest(rushdb_internal.hnsw_verify_problems(index)) $$;

-- What a rushdb_hnsw index holds, its pending list included, and a way to
-- merge that list without a VACUUM (both for the table's owner).
CREATE OR REPLACE FUNCTION rushdb.hnsw_index_info(index regclass,
    OUT dimensions integer, OUT m integer, OUT ef_construction integer, OUT elements bigint,
    OUT entry_level integer, OUT pending_pages integer, OUT pending_rows bigint,
    OUT pending_merged_rows bigint, OUT pending_list_limit_kb integer)
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_index_info' LANGUAGE C STRICT;
CREATE OR REPLACE FUNCTION rushdb.hnsw_merge_pending(index regclass) RETURNS bigint
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_merge_pending' LANGUAGE C STRICT;
-- This backend's caches of element vectors (rushdb.hnsw_element_cache).
CREATE OR REPLACE FUNCTION rushdb.hnsw_element_cache(
    OUT index_relfilenode oid, OUT entries bigint, OUT memory_bytes bigint, OUT at_budget boolean,
    OUT hits bigint, OUT misses bigint) RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'rushdb_hnsw_element_cache' LANGUAGE C VOLATILE;

COMMENT ON TYPE rushdb.vector IS 'float32 vector, 1 to 16000 dimensions (typmod = dimensions); pgvector''s binary format';
COMMENT ON FUNCTION rushdb.vector(rushdb.vector, integer, boolean) IS 'Checks a vector against a typmod (the cast to vector(n))';
COMMENT ON FUNCTION rushdb.array_to_vector(real[], integer, boolean) IS 'Cast from real[]';
COMMENT ON FUNCTION rushdb.array_to_vector(double precision[], integer, boolean) IS 'Cast from double precision[]';
COMMENT ON FUNCTION rushdb.array_to_vector(integer[], integer, boolean) IS 'Cast from integer[]';
COMMENT ON FUNCTION rushdb.array_to_vector(numeric[], integer, boolean) IS 'Cast from numeric[]';
COMMENT ON FUNCTION rushdb.jsonb_to_vector(jsonb, integer, boolean) IS 'Cast from a jsonb array of numbers';
COMMENT ON FUNCTION rushdb.vector_to_float4(rushdb.vector, integer, boolean) IS 'Cast to real[]';
COMMENT ON FUNCTION rushdb.l2_distance(rushdb.vector, rushdb.vector) IS 'Euclidean distance (operator <->)';
COMMENT ON FUNCTION rushdb.l2_squared_distance(rushdb.vector, rushdb.vector) IS 'Squared Euclidean distance';
COMMENT ON FUNCTION rushdb.cosine_distance(rushdb.vector, rushdb.vector) IS '1 - cosine similarity (operator <=>)';
COMMENT ON FUNCTION rushdb.inner_product(rushdb.vector, rushdb.vector) IS 'Dot product';
COMMENT ON FUNCTION rushdb.negative_inner_product(rushdb.vector, rushdb.vector) IS 'Negated dot product (operator <#>)';
COMMENT ON FUNCTION rushdb.l1_distance(rushdb.vector, rushdb.vector) IS 'Manhattan distance (operator <+>)';
COMMENT ON FUNCTION rushdb.vector_dims(rushdb.vector) IS 'Number of dimensions';
COMMENT ON FUNCTION rushdb.vector_norm(rushdb.vector) IS 'Euclidean norm';
COMMENT ON FUNCTION rushdb.l2_normalize(rushdb.vector) IS 'The vector scaled to unit length';
COMMENT ON FUNCTION rushdb.subvector(rushdb.vector, integer, integer) IS 'Elements start .. start + count - 1 (1-based), cut to the vector''s bounds like substring()';
COMMENT ON FUNCTION rushdb.vector_concat(rushdb.vector, rushdb.vector) IS 'The elements of the first vector, then those of the second (operator ||)';
COMMENT ON FUNCTION rushdb.vector_add(rushdb.vector, rushdb.vector) IS 'Element-wise sum (operator +)';
COMMENT ON FUNCTION rushdb.vector_sub(rushdb.vector, rushdb.vector) IS 'Element-wise difference (operator -)';
COMMENT ON FUNCTION rushdb.vector_mul(rushdb.vector, rushdb.vector) IS 'Element-wise product (operator *)';
COMMENT ON FUNCTION rushdb.vector_lt(rushdb.vector, rushdb.vector) IS 'Lexicographic order (operator <)';
COMMENT ON FUNCTION rushdb.vector_le(rushdb.vector, rushdb.vector) IS 'Lexicographic order (operator <=)';
COMMENT ON FUNCTION rushdb.vector_eq(rushdb.vector, rushdb.vector) IS 'Equality (operator =)';
COMMENT ON FUNCTION rushdb.vector_ne(rushdb.vector, rushdb.vector) IS 'Inequality (operator <>)';
COMMENT ON FUNCTION rushdb.vector_ge(rushdb.vector, rushdb.vector) IS 'Lexicographic order (operator >=)';
COMMENT ON FUNCTION rushdb.vector_gt(rushdb.vector, rushdb.vector) IS 'Lexicographic order (operator >)';
COMMENT ON FUNCTION rushdb.vector_cmp(rushdb.vector, rushdb.vector) IS 'Btree comparison support';
COMMENT ON FUNCTION rushdb.vector_accum(double precision[], rushdb.vector) IS 'avg/sum transition function';
COMMENT ON FUNCTION rushdb.vector_combine(double precision[], double precision[]) IS 'avg/sum combine function (parallel aggregation)';
COMMENT ON FUNCTION rushdb.vector_avg_final(double precision[]) IS 'avg final function';
COMMENT ON FUNCTION rushdb.vector_sum_final(double precision[]) IS 'sum final function';
COMMENT ON AGGREGATE rushdb.avg(rushdb.vector) IS 'Element-wise mean of vectors';
COMMENT ON AGGREGATE rushdb.sum(rushdb.vector) IS 'Element-wise sum of vectors';
COMMENT ON FUNCTION rushdb.hnsw_verify(regclass) IS 'Checks the graph invariants of a rushdb_hnsw index; no rows = clean';
COMMENT ON FUNCTION rushdb.hnsw_index_info(regclass) IS
    'Parameters, graph size and pending list of a rushdb_hnsw index (elements counts deleted ones until VACUUM removes them)';
COMMENT ON FUNCTION rushdb.hnsw_merge_pending(regclass) IS
    'Merges the pending list of a rushdb_hnsw index into its graph now (VACUUM does too); returns the rows merged';
COMMENT ON FUNCTION rushdb.hnsw_element_cache() IS
    'This backend''s caches of rushdb_hnsw element vectors (rushdb.hnsw_element_cache), one row per index: entries, memory, whether the budget stopped it, hits and misses';
COMMENT ON FUNCTION rushdb.exact_top_k(regclass, name, rushdb.vector, integer, text) IS
    'Exact k nearest neighbours of a table''s vector column by one pass (no index)';
COMMENT ON FUNCTION rushdb.simd_info() IS 'The distance kernel set this backend runs (scalar, sse2, avx2+fma, avx512f, neon)';
COMMENT ON OPERATOR rushdb.<-> (rushdb.vector, rushdb.vector) IS 'Euclidean distance';
COMMENT ON OPERATOR rushdb.<=> (rushdb.vector, rushdb.vector) IS 'Cosine distance';
COMMENT ON OPERATOR rushdb.<#> (rushdb.vector, rushdb.vector) IS 'Negated inner product';
COMMENT ON OPERATOR rushdb.<+> (rushdb.vector, rushdb.vector) IS 'Manhattan distance';
COMMENT ON OPERATOR CLASS rushdb.vector_l2_ops USING rushdb_hnsw IS 'HNSW by Euclidean distance (<->)';
COMMENT ON OPERATOR CLASS rushdb.vector_cosine_ops USING rushdb_hnsw IS 'HNSW by cosine distance (<=>)';
COMMENT ON OPERATOR CLASS rushdb.vector_ip_ops USING rushdb_hnsw IS 'HNSW by inner product (<#>)';
COMMENT ON OPERATOR CLASS rushdb.vector_l1_ops USING rushdb_hnsw IS 'HNSW by Manhattan distance (<+>)';
COMMENT ON FUNCTION rushdb.vector_l2_squared_distance(rushdb.vector, rushdb.vector) IS 'Squared Euclidean distance (pgvector''s name for l2_squared_distance)';
COMMENT ON FUNCTION rushdb.vector_negative_inner_product(rushdb.vector, rushdb.vector) IS 'Negated inner product (pgvector''s name for negative_inner_product, operator <#>)';
COMMENT ON FUNCTION rushdb.vector_spherical_distance(rushdb.vector, rushdb.vector) IS 'acos of the inner product (clamped to [-1, 1]) divided by pi; meant for unit vectors';
COMMENT ON FUNCTION rushdb.vector_avg(double precision[]) IS 'Final function of avg(vector) (pgvector''s name for vector_avg_final)';
COMMENT ON FUNCTION rushdb.binary_quantize(rushdb.vector) IS 'bit(n) whose bit i is 1 when element i is greater than 0';
COMMENT ON FUNCTION rushdb.hamming_distance(bit, bit) IS 'Number of positions where two bit strings of the same length differ (operator <~>)';
COMMENT ON FUNCTION rushdb.jaccard_distance(bit, bit) IS '1 - |a AND b| / |a OR b| of two bit strings of the same length, 1 when they share no set bit (operator <%>)';
COMMENT ON OPERATOR rushdb.<~> (bit, bit) IS 'Hamming distance';
COMMENT ON OPERATOR rushdb.<%> (bit, bit) IS 'Jaccard distance';
COMMENT ON OPERATOR CLASS rushdb.vector_ops USING btree IS 'Btree (lexicographic) order of vectors';
COMMENT ON TYPE rushdb.halfvec IS 'half-precision (IEEE binary16) vector, 1 to 16000 dimensions (typmod = dimensions); pgvector''s halfvec binary format';
COMMENT ON FUNCTION rushdb.halfvec(rushdb.halfvec, integer, boolean) IS 'Checks a halfvec against a typmod (the cast to halfvec(n))';
COMMENT ON FUNCTION rushdb.halfvec_to_vector(rushdb.halfvec, integer, boolean) IS 'Cast to vector (exact)';
COMMENT ON FUNCTION rushdb.vector_to_halfvec(rushdb.vector, integer, boolean) IS 'Cast from vector (each element rounded to the nearest half; beyond 65504 is an error)';
COMMENT ON FUNCTION rushdb.array_to_halfvec(real[], integer, boolean) IS 'Cast from real[]';
COMMENT ON FUNCTION rushdb.array_to_halfvec(double precision[], integer, boolean) IS 'Cast from double precision[]';
COMMENT ON FUNCTION rushdb.array_to_halfvec(integer[], integer, boolean) IS 'Cast from integer[]';
COMMENT ON FUNCTION rushdb.array_to_halfvec(numeric[], integer, boolean) IS 'Cast from numeric[]';
COMMENT ON FUNCTION rushdb.halfvec_to_float4(rushdb.halfvec, integer, boolean) IS 'Cast to real[]';
COMMENT ON FUNCTION rushdb.l2_distance(rushdb.halfvec, rushdb.halfvec) IS 'Euclidean distance (operator <->)';
COMMENT ON FUNCTION rushdb.halfvec_l2_squared_distance(rushdb.halfvec, rushdb.halfvec) IS 'Squared Euclidean distance';
COMMENT ON FUNCTION rushdb.cosine_distance(rushdb.halfvec, rushdb.halfvec) IS '1 - cosine similarity (operator <=>)';
COMMENT ON FUNCTION rushdb.inner_product(rushdb.halfvec, rushdb.halfvec) IS 'Dot product';
COMMENT ON FUNCTION rushdb.halfvec_negative_inner_product(rushdb.halfvec, rushdb.halfvec) IS 'Negated dot product (operator <#>)';
COMMENT ON FUNCTION rushdb.halfvec_spherical_distance(rushdb.halfvec, rushdb.halfvec) IS 'acos of the inner product (clamped to [-1, 1]) divided by pi; meant for unit vectors';
COMMENT ON FUNCTION rushdb.l1_distance(rushdb.halfvec, rushdb.halfvec) IS 'Manhattan distance (operator <+>)';
COMMENT ON FUNCTION rushdb.vector_dims(rushdb.halfvec) IS 'Number of dimensions';
COMMENT ON FUNCTION rushdb.l2_norm(rushdb.halfvec) IS 'Euclidean norm';
COMMENT ON FUNCTION rushdb.l2_normalize(rushdb.halfvec) IS 'The halfvec scaled to unit length';
COMMENT ON FUNCTION rushdb.binary_quantize(rushdb.halfvec) IS 'bit(n) whose bit i is 1 when element i is greater than 0';
COMMENT ON FUNCTION rushdb.subvector(rushdb.halfvec, integer, integer) IS 'Elements start .. start + count - 1 (1-based), cut to the bounds like substring()';
COMMENT ON FUNCTION rushdb.halfvec_concat(rushdb.halfvec, rushdb.halfvec) IS 'The elements of the first halfvec, then those of the second (operator ||)';
COMMENT ON FUNCTION rushdb.halfvec_add(rushdb.halfvec, rushdb.halfvec) IS 'Element-wise sum (operator +); an element beyond 65504 is an error';
COMMENT ON FUNCTION rushdb.halfvec_sub(rushdb.halfvec, rushdb.halfvec) IS 'Element-wise difference (operator -); an element beyond 65504 is an error';
COMMENT ON FUNCTION rushdb.halfvec_mul(rushdb.halfvec, rushdb.halfvec) IS 'Element-wise product (operator *); an element beyond 65504 is an error';
COMMENT ON FUNCTION rushdb.halfvec_lt(rushdb.halfvec, rushdb.halfvec) IS 'Lexicographic order (operator <)';
COMMENT ON FUNCTION rushdb.halfvec_le(rushdb.halfvec, rushdb.halfvec) IS 'Lexicographic order (operator <=)';
COMMENT ON FUNCTION rushdb.halfvec_eq(rushdb.halfvec, rushdb.halfvec) IS 'Equality (operator =)';
COMMENT ON FUNCTION rushdb.halfvec_ne(rushdb.halfvec, rushdb.halfvec) IS 'Inequality (operator <>)';
COMMENT ON FUNCTION rushdb.halfvec_ge(rushdb.halfvec, rushdb.halfvec) IS 'Lexicographic order (operator >=)';
COMMENT ON FUNCTION rushdb.halfvec_gt(rushdb.halfvec, rushdb.halfvec) IS 'Lexicographic order (operator >)';
COMMENT ON FUNCTION rushdb.halfvec_cmp(rushdb.halfvec, rushdb.halfvec) IS 'Btree comparison support';
COMMENT ON FUNCTION rushdb.halfvec_accum(double precision[], rushdb.halfvec) IS 'avg/sum transition function (the state of vector''s aggregates)';
COMMENT ON FUNCTION rushdb.halfvec_combine(double precision[], double precision[]) IS 'avg/sum combine function (parallel aggregation)';
COMMENT ON FUNCTION rushdb.halfvec_avg(double precision[]) IS 'avg final function';
COMMENT ON FUNCTION rushdb.halfvec_sum_final(double precision[]) IS 'sum final function (summed in double, rounded to halves once)';
COMMENT ON AGGREGATE rushdb.avg(rushdb.halfvec) IS 'Element-wise mean of halfvecs';
COMMENT ON AGGREGATE rushdb.sum(rushdb.halfvec) IS 'Element-wise sum of halfvecs';
COMMENT ON OPERATOR rushdb.<-> (rushdb.halfvec, rushdb.halfvec) IS 'Euclidean distance';
COMMENT ON OPERATOR rushdb.<=> (rushdb.halfvec, rushdb.halfvec) IS 'Cosine distance';
COMMENT ON OPERATOR rushdb.<#> (rushdb.halfvec, rushdb.halfvec) IS 'Negated inner product';
COMMENT ON OPERATOR rushdb.<+> (rushdb.halfvec, rushdb.halfvec) IS 'Manhattan distance';
COMMENT ON ACCESS METHOD rushdb_hnsw IS 'HNSW approximate nearest-neighbour index for rushdb.vector and rushdb.halfvec';
COMMENT ON OPERATOR CLASS rushdb.halfvec_l2_ops USING rushdb_hnsw IS 'HNSW over halfvec by Euclidean distance (<->)';
COMMENT ON OPERATOR CLASS rushdb.halfvec_cosine_ops USING rushdb_hnsw IS 'HNSW over halfvec by cosine distance (<=>)';
COMMENT ON OPERATOR CLASS rushdb.halfvec_ip_ops USING rushdb_hnsw IS 'HNSW over halfvec by inner product (<#>)';
COMMENT ON OPERATOR CLASS rushdb.halfvec_l1_ops USING rushdb_hnsw IS 'HNSW over halfvec by Manhattan distance (<+>)';
COMMENT ON OPERATOR CLASS rushdb.halfvec_ops USING btree IS 'Btree (lexicographic) order of halfvecs';
COMMENT ON TABLE rushdb.records IS 'RushDB records: __id, __label, properties, __proptypes';
COMMENT ON TABLE rushdb.embedding_indexes IS 'RushDB embedding indexes (managed and external) per (label, property)';
