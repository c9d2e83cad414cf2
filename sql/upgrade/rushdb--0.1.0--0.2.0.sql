-- rushdb 0.1.0 -> 0.2.0: the migration part. The build appends the
-- re-runnable definition files (sql/install/8*.sql, 9[5-9]_*.sql), so
-- after this script a database has the same objects and definitions as a
-- fresh 0.2.0 install (test/t/009_dump_upgrade.pl compares them).
--
-- What changes (docs/backup.md, "Upgrades"):
--   * schema rushdb becomes an extension member (the extension is now
--     registered in pg_catalog, as plpgsql is) and schema rushdb_internal
--     holds the helpers, the queue and the vector tables;
--   * the vector tables are moved there, owned by the extension's owner,
--     cleared of triggers, rules, policies and grants a user added, and
--     given the row-level security policy of 0.2.0;
--   * embedding_indexes gains the owner column (the role that owned the
--     index's vector table, the index's creator in 0.1.0);
--   * the catalog tables are dumped by pg_dump;
--   * ordinary roles lose every right on the catalog but SELECT, and CREATE
--     on schema rushdb (creating indexes is granted as EXECUTE on
--     rushdb.create_index now; see docs/security.md).
--   * rushdb.vector moves to type category 'v' as its preferred type, for
--     the new rushdb.halfvec (NEW_IN_020 in the Makefile lists what else is
--     added).
-- No HNSW index needs a REINDEX: the on-disk format is unchanged.
\echo Use "ALTER EXTENSION rushdb UPDATE TO '0.2.0'" to load this file. \quit

UPDATE pg_catalog.pg_extension SET extnamespace = 'pg_catalog'::pg_catalog.regnamespace WHERE extname = 'rushdb';
-- ... and without the dependency on its old schema that CREATE EXTENSION
-- recorded (none is recorded on pg_catalog, which is pinned). Left in
-- place, it and the schema's membership below would form a loop that
-- pg_dump warns about ("could not resolve dependency loop").
DELETE FROM pg_catalog.pg_depend
WHERE classid = 'pg_catalog.pg_extension'::pg_catalog.regclass
  AND objid = (SELECT x.oid FROM pg_catalog.pg_extension x WHERE x.extname = 'rushdb')
  AND refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND deptype = 'n';
ALTER EXTENSION rushdb ADD SCHEMA rushdb;
-- rushdb.vector gets the type category of 0.2.0 ('v', preferred; see
-- sql/install/10_vector_type.sql), which ALTER TYPE cannot set: without it
-- halfvec's overloads (added below) would make calls with a bare literal,
-- such as rushdb.vector_dims('[1,2,3]'), ambiguous after the upgrade.
UPDATE pg_catalog.pg_type SET typcategory = 'v', typispreferred = true
WHERE oid = 'rushdb.vector'::pg_catalog.regtype;
CREATE SCHEMA rushdb_internal;
GRANT USAGE ON SCHEMA rushdb TO PUBLIC;
GRANT USAGE ON SCHEMA rushdb_internal TO PUBLIC;
COMMENT ON SCHEMA rushdb IS 'RushDB API: vector type, HNSW index, records and embedding indexes (docs/byov.md)';
COMMENT ON SCHEMA rushdb_internal IS 'rushdb internals: helpers, privileged operations, queue and vector tables (not an API)';

-- Helpers that moved to rushdb_internal or are gone; the API functions
-- keep their signatures and are replaced in place (views of users that
-- call them keep working).
DROP TRIGGER records_queue_embeddings_insert ON rushdb.records;
DROP TRIGGER records_queue_embeddings_update ON rushdb.records;
DROP FUNCTION rushdb.queue_inserted_records(), rushdb.queue_updated_records(), rushdb.after_queueing(uuid[]),
    rushdb.embedding_texts(jsonb), rushdb.wake_embedding_worker(),
    rushdb.store_vectors(rushdb.embedding_indexes, uuid[], rushdb.vector[]),
    rushdb.check_records_for_index(rushdb.embedding_indexes, uuid[]),
    rushdb.write_vector_entry(text, uuid, jsonb, integer),
    rushdb.write_vector(rushdb.embedding_indexes, uuid, rushdb.vector),
    rushdb.resolve_external_index(text, text, integer, text),
    rushdb.lookup_record(uuid), rushdb.record_json(rushdb.records), rushdb.record_proptypes(jsonb),
    rushdb.prop_values(jsonb, text), rushdb.try_timestamptz(text),
    rushdb.build_vector_index(rushdb.embedding_indexes), rushdb.create_vector_index(rushdb.embedding_indexes),
    rushdb.lookup_index(uuid), rushdb.index_json(rushdb.embedding_indexes),
    rushdb.index_status(rushdb.embedding_indexes), rushdb.raise_bad(text, text, text);

-- Type and index-method support are not API: out of `\df rushdb.*`.
ALTER FUNCTION rushdb.vector_in(cstring, oid, integer) SET SCHEMA rushdb_internal;
ALTER FUNCTION rushdb.vector_out(rushdb.vector) SET SCHEMA rushdb_internal;
ALTER FUNCTION rushdb.vector_typmod_in(cstring[]) SET SCHEMA rushdb_internal;
ALTER FUNCTION rushdb.vector_recv(internal, oid, integer) SET SCHEMA rushdb_internal;
ALTER FUNCTION rushdb.vector_send(rushdb.vector) SET SCHEMA rushdb_internal;
ALTER FUNCTION rushdb.hnsw_handler(internal) SET SCHEMA rushdb_internal;
ALTER FUNCTION rushdb.hnsw_metric_l2(internal) SET SCHEMA rushdb_internal;
ALTER FUNCTION rushdb.hnsw_metric_cosine(internal) SET SCHEMA rushdb_internal;
ALTER FUNCTION rushdb.hnsw_metric_ip(internal) SET SCHEMA rushdb_internal;
DROP FUNCTION rushdb.hnsw_verify(regclass), rushdb.hnsw_verify_problems(regclass);

ALTER TABLE rushdb.embedding_queue SET SCHEMA rushdb_internal;

ALTER TABLE rushdb.embedding_indexes ADD COLUMN owner regrole;
UPDATE rushdb.embedding_indexes e
SET owner = coalesce((SELECT c.relowner FROM pg_catalog.pg_class c
                      WHERE c.oid = pg_catalog.to_regclass(pg_catalog.format('rushdb.%I', e.vector_table))),
                     (SELECT x.extowner FROM pg_catalog.pg_extension x WHERE x.extname = 'rushdb'))::regrole;
ALTER TABLE rushdb.embedding_indexes ALTER COLUMN owner SET NOT NULL;
COMMENT ON COLUMN rushdb.embedding_indexes.owner IS 'Role that created the index; it and its members may delete or retry it';
COMMENT ON FUNCTION rushdb.uuid_v7() IS 'A new time-ordered UUID (RFC 9562 version 7), as record and index ids use';

-- Revokes every right that roles other than the owner hold on a relation.
CREATE FUNCTION rushdb_internal.upgrade_revoke_all(rel regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    grantee oid;
BEGIN
    FOR grantee IN
        SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = rel AND a.grantee <> c.relowner
    LOOP
        IF grantee = 0 THEN
            EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', rel);
        ELSE
            EXECUTE format('REVOKE ALL ON %s FROM %I', rel, grantee::regrole::text);
        END IF;
    END LOOP;
END $$;

-- The vector tables' protection (the definition files below define these
-- again, identically).
CREATE FUNCTION rushdb_internal.record_visible(record_id uuid) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_record_visible' LANGUAGE C STABLE STRICT COST 1;
CREATE FUNCTION rushdb_internal.protect_vector_table(storage regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', storage);
    EXECUTE format('CREATE POLICY readable_records ON %s FOR SELECT TO PUBLIC
                        USING (rushdb_internal.record_visible(record_id))', storage);
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', storage);
    EXECUTE format('GRANT SELECT ON %s TO PUBLIC', storage);
END $$;

DO $$
DECLARE
    ext_owner text := (SELECT x.extowner::regrole::text FROM pg_catalog.pg_extension x WHERE x.extname = 'rushdb');
    ix record;
    old regclass;
    moved regclass;
    obj record;
BEGIN
    FOR ix IN SELECT e.id, e.label, e.property_name, e.vector_table FROM rushdb.embedding_indexes e LOOP
        old := pg_catalog.to_regclass(pg_catalog.format('rushdb.%I', ix.vector_table));
        -- Only a plain table can be what 0.1.0 created; anything else a
        -- user put in its place stays where it is (repair_index makes a
        -- new table).
        CONTINUE WHEN old IS NULL OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = old) <> 'r';
        EXECUTE pg_catalog.format('ALTER TABLE %s SET SCHEMA rushdb_internal', old);
        moved := pg_catalog.to_regclass(pg_catalog.format('rushdb_internal.%I', ix.vector_table));
        EXECUTE pg_catalog.format('ALTER TABLE %s OWNER TO %I', moved, ext_owner);
        FOR obj IN SELECT t.tgname FROM pg_catalog.pg_trigger t WHERE t.tgrelid = moved AND NOT t.tgisinternal LOOP
            EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', obj.tgname, moved);
        END LOOP;
        FOR obj IN SELECT r.rulename FROM pg_catalog.pg_rewrite r WHERE r.ev_class = moved LOOP
            EXECUTE pg_catalog.format('DROP RULE %I ON %s', obj.rulename, moved);
        END LOOP;
        FOR obj IN SELECT p.polname FROM pg_catalog.pg_policy p WHERE p.polrelid = moved LOOP
            EXECUTE pg_catalog.format('DROP POLICY %I ON %s', obj.polname, moved);
        END LOOP;
        PERFORM rushdb_internal.upgrade_revoke_all(moved);
        EXECUTE pg_catalog.format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', moved);
        PERFORM rushdb_internal.protect_vector_table(moved);
        EXECUTE pg_catalog.format('COMMENT ON TABLE %s IS %L', moved,
                   pg_catalog.format('vectors of embedding index %s (%s.%s)', ix.id, ix.label, ix.property_name));
    END LOOP;
    PERFORM rushdb_internal.upgrade_revoke_all('rushdb.embedding_indexes');
    PERFORM rushdb_internal.upgrade_revoke_all('rushdb_internal.embedding_queue');
    -- A fresh install's REVOKE ... FROM PUBLIC leaves an explicit owner-only
    -- ACL on the records table and the queue (also their initial privileges,
    -- pg_init_privs); 0.1.0 granted nothing, so theirs may still be the
    -- implicit default (NULL). Make it explicit the same way. A records ACL
    -- a DBA has set is left alone: any GRANT or REVOKE on it here would make
    -- the DBA's grants initial privileges, which pg_dump does not dump.
    REVOKE ALL ON rushdb_internal.embedding_queue FROM PUBLIC;
    IF (SELECT c.relacl FROM pg_catalog.pg_class c WHERE c.oid = 'rushdb.records'::pg_catalog.regclass) IS NULL THEN
        REVOKE ALL ON rushdb.records FROM PUBLIC;
    END IF;
    -- 0.1.0 needed CREATE on schema rushdb to create an index, and USAGE
    -- granted to the roles using it; 0.2.0 lets nobody create objects
    -- there and gives USAGE to PUBLIC. The schema is the extension's now:
    -- its ACL ends as a fresh install's (grants on rushdb.records are kept).
    -- A role's grant left here would also become an initial privilege of
    -- the schema (this runs inside ALTER EXTENSION).
    FOR obj IN SELECT DISTINCT a.grantee FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
               WHERE n.nspname = 'rushdb' AND a.grantee <> n.nspowner
                 AND (a.grantee <> 0 OR a.privilege_type = 'CREATE') LOOP
        IF obj.grantee = 0 THEN
            REVOKE CREATE ON SCHEMA rushdb FROM PUBLIC;
        ELSE
            EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA rushdb FROM %I', obj.grantee::regrole::text);
        END IF;
    END LOOP;
END $$;
DROP FUNCTION rushdb_internal.upgrade_revoke_all(regclass);
-- The grants above on the vector tables ran inside ALTER EXTENSION, so
-- PostgreSQL recorded them as initial privileges (pg_init_privs) although
-- the tables are not extension members. pg_dump dumps a table's
-- privileges relative to those: a dump of this database would restore the
-- vector tables without their GRANT SELECT TO PUBLIC. A fresh install
-- creates them outside any extension script and records none; neither
-- must this.
DELETE FROM pg_catalog.pg_init_privs p
USING rushdb.embedding_indexes e
WHERE p.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
  AND p.objoid = pg_catalog.to_regclass(pg_catalog.format('rushdb_internal.%I', e.vector_table));

SELECT pg_catalog.pg_extension_config_dump('rushdb.records', '');
SELECT pg_catalog.pg_extension_config_dump('rushdb.embedding_indexes', '');
SELECT pg_catalog.pg_extension_config_dump('rushdb_internal.embedding_queue', '');
SELECT pg_catalog.pg_extension_config_dump('rushdb_internal.embedding_queue_seq_seq', '');
GRANT SELECT ON rushdb.embedding_indexes TO PUBLIC;

-- New in 0.2.0: vector concatenation (vector || vector resolved to text
-- concatenation in 0.1.0).
CREATE FUNCTION rushdb.vector_concat(rushdb.vector, rushdb.vector) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_concat' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OPERATOR rushdb.|| (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector, FUNCTION = rushdb.vector_concat);
