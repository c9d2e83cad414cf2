-- Shared by the pg_regress tests (\i :abs_srcdir/sql/include/...): an
-- embedding index's vector table and its HNSW index, looked up from
-- rushdb.embedding_indexes and the catalog. vector_schema() is the one
-- place the tests name the schema the vector tables live in.
CREATE FUNCTION pg_temp.vector_schema() RETURNS name LANGUAGE sql IMMUTABLE AS $$ SELECT 'rushdb_internal'::name $$;
-- The vector table of an embedding index (NULL for an unknown index).
CREATE FUNCTION pg_temp.vector_relation(index_id uuid) RETURNS regclass LANGUAGE sql STABLE AS $$
    SELECT format('%I.%I', pg_temp.vector_schema(), vector_table)::regclass
    FROM rushdb.embedding_indexes WHERE id = index_id
$$;
-- The rushdb_hnsw index on it (NULL when there is none).
CREATE FUNCTION pg_temp.vector_hnsw_index(index_id uuid) RETURNS regclass LANGUAGE sql STABLE AS $$
    SELECT i.indexrelid::regclass FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_am a ON a.oid = c.relam AND a.amname = 'rushdb_hnsw'
    WHERE i.indrelid = pg_temp.vector_relation(index_id)
$$;
-- The vector stored for a record in an embedding index.
CREATE FUNCTION pg_temp.stored_vector(index_id uuid, record_id uuid) RETURNS rushdb.vector LANGUAGE plpgsql AS $$
DECLARE v rushdb.vector;
BEGIN
    EXECUTE format('SELECT embedding FROM %s WHERE record_id = $1', pg_temp.vector_relation(index_id))
        INTO v USING record_id;
    RETURN v;
END $$;
