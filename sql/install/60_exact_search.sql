-- Exact k nearest neighbours by one fast pass over a table (no index):
--   SELECT i.* FROM rushdb.exact_top_k('items', 'embedding', '[...]', 10, 'cosine') e
--   JOIN items i ON i.ctid = e.row_tid ORDER BY e.distance;
-- metric: l2 (euclidean), cosine, inner_product (returns -a.b like <#>), l1.
CREATE FUNCTION rushdb.exact_top_k(tbl regclass, col name, query rushdb.vector, k integer,
                                   metric text DEFAULT 'l2')
    RETURNS TABLE (row_tid tid, distance double precision)
    AS 'MODULE_PATHNAME', 'rushdb_exact_top_k' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED ROWS 10;
