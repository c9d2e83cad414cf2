// The privilege model's C half (docs/security.md):
//   rushdb_internal.privileged(op, args, ids, vectors): the API's one way to
//     change what ordinary roles may not write. It runs
//     rushdb_internal.op_<op>(caller, ...) as the extension's owner, the way
//     PostgreSQL runs maintenance code as a table's owner: a
//     security-restricted operation at a new GUC nest level with
//     search_path pinned. The op checks what `caller` may do.
//   rushdb_internal.vector_storage(ix): the catalog names a vector table;
//     this checks it is the plain table the extension created.
//   rushdb_internal.record_visible(id): the vector tables' row-level
//     security policy (a vector is readable with its record).
#include "privileges.hpp"
#include "spi_glue.hpp"

#include "vector_type.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/syscache.h"
}

namespace rushdb::pg {

Oid extension_owner() {
    Relation rel = table_open(ExtensionRelationId, AccessShareLock);
    ScanKeyData key;
    ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ, CStringGetDatum("rushdb"));
    SysScanDesc scan = systable_beginscan(rel, ExtensionNameIndexId, true, nullptr, 1, &key);
    HeapTuple tuple = systable_getnext(scan);
    Oid owner = HeapTupleIsValid(tuple) ? reinterpret_cast<Form_pg_extension>(GETSTRUCT(tuple))->extowner : InvalidOid;
    systable_endscan(scan);
    table_close(rel, AccessShareLock);
    return owner;
}

Oid checked_vector_storage(const char* table, const char* index_id, bool missing_ok) {
    Oid ns = get_namespace_oid("rushdb_internal", false);
    Oid rel = get_relname_relid(table, ns);
    if (!OidIsValid(rel)) {
        if (missing_ok) return InvalidOid;
        ereport(ERROR,
                (errcode(ERRCODE_UNDEFINED_TABLE),
                 errmsg("the vector table rushdb_internal.%s of embedding index %s does not exist", table, index_id),
                 errdetail("A logical replication subscriber receives the catalog's rows but not the tables "
                           "they name; a table dropped by hand is gone too."),
                 errhint("Run SELECT rushdb.repair_index('%s') to recreate it.", index_id)));
    }
    HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(rel));
    if (!HeapTupleIsValid(tuple)) elog(ERROR, "cache lookup failed for relation %u", rel);
    Form_pg_class form = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple));
    char kind = form->relkind;
    Oid owner = form->relowner;
    ReleaseSysCache(tuple);
    if (kind != RELKIND_RELATION || owner != extension_owner())
        ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                        errmsg("rushdb_internal.%s is not the vector table rushdb created for embedding index %s",
                               table, index_id),
                        errdetail("It is a relation of kind '%c' owned by role %s.", kind,
                                  GetUserNameFromId(owner, true) ? GetUserNameFromId(owner, true) : "(dropped)"),
                        errhint("Only the extension writes in schema rushdb_internal; drop that relation and run "
                                "rushdb.repair_index('%s').",
                                index_id)));
    return rel;
}

int pin_search_path() {
    int level = NewGUCNestLevel();
    (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                            false);
    return level;
}

}  // namespace rushdb::pg

using namespace rushdb::pg;

namespace {

Oid records_relation() { return get_relname_relid("records", get_namespace_oid("rushdb", false)); }

// Before writing vectors for records, with the caller's own rights: she
// may write records, and every id is a record she can see (row-level
// security applies). A hidden record and a missing one get the same error.
void check_may_write_vectors(Oid caller) {
    Oid records = records_relation();
    if (pg_class_aclcheck(records, caller, ACL_INSERT) != ACLCHECK_OK &&
        pg_class_aclcheck(records, caller, ACL_UPDATE) != ACLCHECK_OK)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied to write vectors"),
                        errhint("Writing a record's vectors needs INSERT or UPDATE on rushdb.records.")));
}

// Every id is a record the caller can see, and one she may change: either
// written by this very transaction (create_record with inline vectors, an
// update_record just before), or one she can lock FOR UPDATE, which takes
// UPDATE privilege and passes her UPDATE policies on rushdb.records. A
// vector is part of its record: replacing it is changing the record.
void check_records_writable(Oid caller, Datum ids) {
    int level = pin_search_path();
    spi_connect();
    Oid types[1] = {get_array_type(UUIDOID)};
    Datum values[1] = {ids};
    // read_only = false: a fresh snapshot sees records this transaction
    // just created.
    int rc =
        SPI_execute_with_args("SELECT pg_catalog.count(DISTINCT i) FROM pg_catalog.unnest($1) i WHERE i IS NOT NULL", 1,
                              types, values, nullptr, false, 1);
    if (rc != SPI_OK_SELECT || SPI_processed != 1) elog(ERROR, "record check failed");
    bool isnull;
    int64 wanted = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    rc = SPI_execute_with_args("SELECT r.xmin FROM rushdb.records r WHERE r.id OPERATOR(pg_catalog.=) ANY ($1)", 1,
                               types, values, nullptr, false, 0);
    if (rc != SPI_OK_SELECT) elog(ERROR, "record check failed");
    bool all_visible = static_cast<int64>(SPI_processed) == wanted;
    bool older = false;  // some record was last written by another transaction
    for (uint64 i = 0; i < SPI_processed; ++i) {
        TransactionId xmin =
            DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
        if (!TransactionIdIsCurrentTransactionId(xmin)) older = true;
    }
    // The errors below leave SPI and the GUC level to the transaction's abort.
    if (!all_visible)
        ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND), errmsg("some of the record ids are not records")));
    if (older) {
        if (pg_class_aclcheck(records_relation(), caller, ACL_UPDATE) != ACLCHECK_OK)
            ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                            errmsg("permission denied to change the vectors of existing records"),
                            errhint("Writing vectors of a record written earlier needs UPDATE on rushdb.records "
                                    "(INSERT is enough for records created in the same transaction).")));
        // Rows this transaction wrote lock as well; the others must pass
        // the caller's UPDATE policies to be locked at all.
        rc = SPI_execute_with_args(
            "SELECT pg_catalog.count(*) FROM (SELECT 1 FROM rushdb.records r "
            "WHERE r.id OPERATOR(pg_catalog.=) ANY ($1) FOR UPDATE) s",
            1, types, values, nullptr, false, 0);
        if (rc != SPI_OK_SELECT || SPI_processed != 1) elog(ERROR, "record lock failed");
        int64 locked = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
        if (locked != wanted)
            ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                            errmsg("permission denied to change the vectors of some of these records"),
                            errdetail("A row-level security policy for UPDATE on rushdb.records excludes them.")));
    }
    SPI_finish();
    AtEOXact_GUC(true, level);
}

const char* const kOperations[] = {"create_index",        "delete_index",      "retry_index",
                                   "repair_index",        "store_vectors",     "create_property_index",
                                   "drop_property_index", "create_text_index", "drop_text_index"};

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_privileged);
PG_FUNCTION_INFO_V1(rushdb_vector_storage);
PG_FUNCTION_INFO_V1(rushdb_record_visible);

// privileged(op text, args jsonb, ids uuid[], vectors rushdb.vector[]) RETURNS jsonb
Datum rushdb_privileged(PG_FUNCTION_ARGS) {
    if (PG_ARGISNULL(0)) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("operation is required")));
    char* op = text_to_cstring(PG_GETARG_TEXT_PP(0));
    bool known = false;
    for (const char* name : kOperations) known = known || strcmp(op, name) == 0;
    if (!known) ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown operation \"%s\"", op)));

    Oid caller = GetUserId();
    // Even with no ids (which write nothing): a role that may not write
    // records gets nothing from store_vectors but this error.
    if (strcmp(op, "store_vectors") == 0) {
        check_may_write_vectors(caller);
        if (!PG_ARGISNULL(2)) check_records_writable(caller, PG_GETARG_DATUM(2));
    }

    Oid owner = extension_owner();
    if (!OidIsValid(owner))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("extension rushdb is not installed")));
    Oid argtypes[4] = {REGROLEOID, JSONBOID, get_array_type(UUIDOID), get_fn_expr_argtype(fcinfo->flinfo, 3)};
    if (!OidIsValid(argtypes[3])) argtypes[3] = get_array_type(vector_type_oid());
    Oid fn = LookupFuncName(list_make2(makeString(pstrdup("rushdb_internal")), makeString(psprintf("op_%s", op))), 4,
                            argtypes, false);

    // As PostgreSQL runs an index's expressions as the table owner: the
    // owner's identity, no SET ROLE / temp tables / held cursors, and our
    // own search_path; an error undoes all three with the transaction.
    Oid saved_user;
    int saved_context;
    GetUserIdAndSecContext(&saved_user, &saved_context);
    SetUserIdAndSecContext(owner, saved_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
    int level = pin_search_path();

    FmgrInfo flinfo;
    fmgr_info(fn, &flinfo);
    LOCAL_FCINFO(inner, 4);
    InitFunctionCallInfoData(*inner, &flinfo, 4, InvalidOid, nullptr, nullptr);
    inner->args[0].value = ObjectIdGetDatum(caller);
    inner->args[0].isnull = false;
    for (int i = 1; i < 4; ++i) {
        inner->args[i].isnull = PG_ARGISNULL(i);
        inner->args[i].value = PG_ARGISNULL(i) ? (Datum)0 : PG_GETARG_DATUM(i);
    }
    Datum result = FunctionCallInvoke(inner);
    bool result_null = inner->isnull;

    AtEOXact_GUC(true, level);
    SetUserIdAndSecContext(saved_user, saved_context);
    if (result_null) PG_RETURN_NULL();
    PG_RETURN_DATUM(result);
}

// vector_storage(ix rushdb.embedding_indexes) RETURNS regclass
Datum rushdb_vector_storage(PG_FUNCTION_ARGS) {
    HeapTupleHeader ix = PG_GETARG_HEAPTUPLEHEADER(0);
    bool isnull;
    Datum table = GetAttributeByName(ix, "vector_table", &isnull);
    if (isnull) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("index has no vector table")));
    Datum id = GetAttributeByName(ix, "id", &isnull);
    const char* id_text = isnull ? "?" : DatumGetCString(DirectFunctionCall1(uuid_out, id));
    PG_RETURN_OID(checked_vector_storage(TextDatumGetCString(table), id_text, false));
}

}  // extern "C"

extern "C" {

// record_visible(record_id uuid): may the current user read this record?
// The vector tables' row-level security policy. A role that reads every
// record (SELECT on rushdb.records, no policy applying to her) is answered
// from a per-query cache; any other is asked with her own rights, so the
// policies on rushdb.records decide. Declared with a low COST: the planner
// must not see a subquery per row (an EXISTS policy made it turn HNSW
// searches into full scans of the records), and an ANN search only asks
// for the few rows it returns.
Datum rushdb_record_visible(PG_FUNCTION_ARGS) {
    struct Cache {
        bool computed;
        bool reads_all;
    };
    Cache* cache = static_cast<Cache*>(fcinfo->flinfo->fn_extra);
    if (cache == nullptr) {
        cache = static_cast<Cache*>(MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(Cache)));
        fcinfo->flinfo->fn_extra = cache;
    }
    if (!cache->computed) {
        Oid records = records_relation();
        cache->reads_all = pg_class_aclcheck(records, GetUserId(), ACL_SELECT) == ACLCHECK_OK &&
                           check_enable_rls(records, InvalidOid, true) != RLS_ENABLED;
        cache->computed = true;
    }
    if (cache->reads_all) PG_RETURN_BOOL(true);

    static SPIPlanPtr plan = nullptr;
    spi_connect();
    if (plan == nullptr) {
        Oid types[1] = {UUIDOID};
        plan = spi_prepare_kept("SELECT 1 FROM rushdb.records r WHERE r.id OPERATOR(pg_catalog.=) $1", 1, types);
    }
    Datum values[1] = {PG_GETARG_DATUM(0)};
    if (SPI_execute_plan(plan, values, nullptr, true, 1) != SPI_OK_SELECT)
        elog(ERROR, "record visibility check failed");
    bool visible = SPI_processed > 0;
    SPI_finish();
    PG_RETURN_BOOL(visible);
}

}  // extern "C"
