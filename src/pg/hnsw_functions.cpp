// SQL functions on one rushdb_hnsw index: rushdb.hnsw_index_info and
// rushdb.hnsw_merge_pending (rushdb.hnsw_verify is in hnsw_verify.cpp).
// Each reads (or rewrites) the whole index, so each is for the owner of
// the index's table, as REINDEX is.
#include "hnsw_am.hpp"
#include "hnsw_element_cache.hpp"
#include "hnsw_storage.hpp"
#include "hnsw_pending.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/index.h"
#include "catalog/pg_class.h"
#include "storage/lmgr.h"
#include "access/xlog.h"
#include "commands/defrem.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
}

namespace rushdb::pg::hnsw {

Relation open_index_as_owner(Oid relid, const char* action, LOCKMODE mode) {
    // Checked before the index (or its table) is even locked.
    Oid table = IndexGetRelation(relid, true);
    if (get_rel_relkind(relid) == RELKIND_PARTITIONED_INDEX)
        ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                        errmsg("\"%s\" is a partitioned index, which has no pages of its own", get_rel_name(relid)),
                        errhint("Name the index of one partition.")));
    if (!OidIsValid(table)) {
        char* name = get_rel_name(relid);
        if (name == nullptr)
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", relid)));
        ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("\"%s\" is not an index", name)));
    }
    if (!pg_class_ownercheck(table, GetUserId()))
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("must be owner of table %s to %s its index %s", get_rel_name(table), action,
                               get_rel_name(relid)),
                        errhint("Run it as the table's owner (or a member of the owning role) or as a superuser.")));
    // The table first, as the executor and amcheck do: a DROP INDEX
    // CONCURRENTLY waits for lockers of the table, not of the index.
    LockRelationOid(table, mode);
    Relation index = index_open(relid, mode);
    if (index->rd_rel->relam != get_am_oid("rushdb_hnsw", false)) {
        index_close(index, mode);
        ereport(ERROR,
                (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("\"%s\" is not a rushdb_hnsw index", get_rel_name(relid))));
    }
    return index;
}

namespace {

// Entries of the pending list not yet merged, and merged ones whose page
// has not left the list yet.
void count_pending(Relation index, const MetaPageData& meta, int64* waiting, int64* merged) {
    *waiting = *merged = 0;
    for_each_pending_entry(index, meta.pending_head, static_cast<int>(meta.dims), [&](const PendingHeader* h) {
        if (h->flags & kPendingDead) return;
        if (h->flags & kPendingMerged)
            *merged += 1;
        else
            *waiting += 1;
    });
}

}  // namespace
}  // namespace rushdb::pg::hnsw

namespace h = rushdb::pg::hnsw;

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_hnsw_index_info);
PG_FUNCTION_INFO_V1(rushdb_hnsw_merge_pending);
PG_FUNCTION_INFO_V1(rushdb_hnsw_element_cache);

Datum rushdb_hnsw_index_info(PG_FUNCTION_ARGS) {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("hnsw_index_info must return a row")));
    Relation index = h::open_index_as_owner(PG_GETARG_OID(0), "inspect", AccessShareLock);
    h::MetaPageData meta;
    h::read_meta(index, &meta);
    int64 waiting = 0, merged = 0;
    h::count_pending(index, meta, &waiting, &merged);
    h::IndexParams params = h::index_params(index);
    Datum values[9];
    bool nulls[9] = {false};
    values[0] = Int32GetDatum(static_cast<int32>(meta.dims));
    nulls[0] = meta.dims == 0;
    values[1] = Int32GetDatum(meta.m);
    values[2] = Int32GetDatum(meta.ef_construction);
    values[3] = Int64GetDatum(static_cast<int64>(meta.element_count));
    values[4] = Int32GetDatum(meta.entry_level);
    values[5] = Int32GetDatum(static_cast<int32>(meta.pending_pages));
    values[6] = Int64GetDatum(waiting);
    values[7] = Int64GetDatum(merged);
    values[8] = Int32GetDatum(params.pending_list_limit_kb);
    index_close(index, AccessShareLock);
    PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

// Merges the whole pending list now (as VACUUM does), waiting for a merge
// under way. Returns the rows merged.
Datum rushdb_hnsw_merge_pending(PG_FUNCTION_ARGS) {
    // RowExclusiveLock, as an insert: merging is inserting into the graph.
    Relation index = h::open_index_as_owner(PG_GETARG_OID(0), "merge", RowExclusiveLock);
    h::MergeStats stats = h::pending_merge(index, h::index_params(index), 0, true, nullptr, nullptr);
    index_close(index, RowExclusiveLock);
    PG_RETURN_INT64(static_cast<int64>(stats.merged));
}

// This backend's element caches (hnsw_element_cache.hpp), a row each.
Datum rushdb_hnsw_element_cache(PG_FUNCTION_ARGS) {
    InitMaterializedSRF(fcinfo, 0);
    auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    h::ElementCache::for_each([&](const h::ElementCache& c) {
        Datum values[6];
        bool nulls[6] = {false};
        values[0] = ObjectIdGetDatum(c.node().relNode);
        values[1] = Int64GetDatum(static_cast<int64>(c.size()));
        values[2] = Int64GetDatum(static_cast<int64>(c.memory()));
        values[3] = BoolGetDatum(c.full());
        values[4] = Int64GetDatum(static_cast<int64>(c.hits()));
        values[5] = Int64GetDatum(static_cast<int64>(c.misses()));
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    });
    return static_cast<Datum>(0);
}

}  // extern "C"
