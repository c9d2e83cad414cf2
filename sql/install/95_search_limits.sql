-- The search plan cache of this backend (src/pg/search_api.cpp): prepared
-- ranked queries, one per (index, filter shape, LIMIT bucket, mode), at most
-- rushdb.search_plan_cache_size of them within rushdb.search_plan_cache_memory,
-- least recently used evicted (and freed) first.

CREATE OR REPLACE FUNCTION rushdb.search_plan_cache() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'rushdb_search_plan_cache' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION rushdb.search_plan_cache() IS
    'This backend''s search plan cache: {entries, capacity, memoryBytes, memoryBudget, hits, misses, evictions}; memoryBytes '
    'is approximate (the plans'' memory contexts and keys)';

CREATE OR REPLACE FUNCTION rushdb.search_plan_cache_entries(
    OUT vector_table text, OUT mode text, OUT limit_bucket bigint, OUT filter_bytes bigint, OUT uses bigint,
    OUT memory_bytes bigint, OUT generic_plan boolean, OUT generic_plan_uses_hnsw boolean)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'rushdb_search_plan_cache_entries' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION rushdb.search_plan_cache_entries() IS
    'One row per cached search plan of this backend, most recently used first: its vector table, mode, inner '
    'LIMIT bucket (limit + skip rounded up to a power of two), filter SQL size (0: no filter), uses, approximate memory, and '
    'whether PostgreSQL has built its generic plan and that plan scans the HNSW index';
