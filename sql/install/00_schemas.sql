-- rushdb 0.2.0: the extension's two schemas (docs/security.md).
--   rushdb           the API: the vector type, its operators and index
--                    method, the records and embedding-index catalog tables
--                    and the functions users call.
--   rushdb_internal  what the API runs on: helpers, the privileged
--                    operations, the embedding queue and one vector table
--                    per embedding index. Ordinary roles may use it (the
--                    API and generated search SQL call into it) but create
--                    nothing in it and write nothing in it.
-- Both are created by this script, so they are members of the extension:
-- DROP EXTENSION refuses while they hold objects it did not create (the
-- vector tables) and CASCADE removes them with everything in them. The
-- extension itself is registered in pg_catalog (as plpgsql is) because a
-- schema holding the extension could not be one of its members.
\echo Use "CREATE EXTENSION rushdb" to load this file. \quit

CREATE SCHEMA rushdb;
CREATE SCHEMA rushdb_internal;
GRANT USAGE ON SCHEMA rushdb TO PUBLIC;
GRANT USAGE ON SCHEMA rushdb_internal TO PUBLIC;
COMMENT ON SCHEMA rushdb IS 'RushDB API: vector type, HNSW index, records and embedding indexes (docs/byov.md)';
COMMENT ON SCHEMA rushdb_internal IS 'rushdb internals: helpers, privileged operations, queue and vector tables (not an API)';
