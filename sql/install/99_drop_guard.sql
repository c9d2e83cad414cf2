-- DROP EXTENSION rushdb would drop the records and embedding indexes with
-- the extension's tables, silently. This event trigger refuses a plain
-- DROP EXTENSION rushdb while they hold rows, naming what would be lost;
-- CASCADE drops everything, vector tables included (they live in the
-- extension's schema rushdb_internal).
CREATE OR REPLACE FUNCTION rushdb_internal.guard_drop_extension() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'rushdb_guard_drop_extension' LANGUAGE C;
REVOKE ALL ON FUNCTION rushdb_internal.guard_drop_extension() FROM PUBLIC;

CREATE EVENT TRIGGER rushdb_guard_drop_extension ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION') EXECUTE FUNCTION rushdb_internal.guard_drop_extension();
