// rushdb.exact_top_k(table, column, query, k, metric): exact nearest
// neighbours by one sequential pass over the heap, without the executor's
// per-row expression and sort machinery. It reads each visible tuple's vector
// in place, measures it with the SIMD kernel and keeps the k best in a
// bounded heap. Returns (row_tid, distance) closest first; join on ctid to
// fetch the rows. The catalog search uses it for small indexes and selective
// filters; anyone may call it on their own tables (SELECT privilege checked,
// tables with row-level security refused: use plain SQL there).
#include <algorithm>
#include <cfloat>

#include "distance/exact.hpp"
#include "distance/kernels.hpp"
#include "pg_prelude.hpp"
#include "vector_type.hpp"

extern "C" {
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"
}

using namespace rushdb::pg;
namespace dist = rushdb::distance;

namespace {

enum class Metric { l2, cosine, inner_product, l1 };

struct Hit {
    double distance;
    ItemPointerData tid;
};

bool farther(const Hit& a, const Hit& b) { return a.distance < b.distance; }

Metric parse_metric(const char* m) {
    if (strcmp(m, "l2") == 0 || strcmp(m, "euclidean") == 0) return Metric::l2;
    if (strcmp(m, "cosine") == 0) return Metric::cosine;
    if (strcmp(m, "inner_product") == 0 || strcmp(m, "ip") == 0) return Metric::inner_product;
    if (strcmp(m, "l1") == 0) return Metric::l1;
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown metric \"%s\"", m),
                    errhint("Use l2 (or euclidean), cosine, inner_product or l1.")));
    return Metric::l2;
}

// Same values as the SQL operators: <->, <=>, <#> (negative inner product), <+>.
double measure(Metric m, const float* q, const float* v, int n, double query_norm) {
    switch (m) {
        case Metric::l2: {
            float d = dist::l2_squared(q, v, n);
            return std::sqrt(std::isfinite(d) ? d : dist::exact::l2_squared(q, v, n));
        }
        case Metric::inner_product: {
            float d = dist::inner_product(q, v, n);
            return -(std::isfinite(d) ? d : dist::exact::inner_product(q, v, n));
        }
        case Metric::l1: {
            float d = dist::l1(q, v, n);
            return std::isfinite(d) ? d : dist::exact::l1(q, v, n);
        }
        case Metric::cosine: {
            dist::DotAndNorms r = dist::active().dot_and_norms(q, v, n);
            if (std::isfinite(r.dot) && std::isfinite(r.norm_b_sq) && r.norm_b_sq >= FLT_MIN && query_norm > 0)
                return dist::cosine_distance_from(r);
            return dist::exact::cosine_distance(q, v, n);
        }
    }
    return 0;
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_exact_top_k);

Datum rushdb_exact_top_k(PG_FUNCTION_ARGS) {
    Oid relid = PG_GETARG_OID(0);
    char* column = NameStr(*PG_GETARG_NAME(1));
    Vector* query = RUSHDB_ARG_VECTOR(2);
    int32 k = PG_GETARG_INT32(3);
    Metric metric = parse_metric(text_to_cstring(PG_GETARG_TEXT_PP(4)));
    if (k < 1 || k > 100000)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("k must be between 1 and 100000, got %d", k)));

    Relation rel = table_open(relid, AccessShareLock);
    if (rel->rd_rel->relkind != RELKIND_RELATION && rel->rd_rel->relkind != RELKIND_MATVIEW)
        ereport(ERROR,
                (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("\"%s\" is not a table", RelationGetRelationName(rel))));
    if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied for table %s", RelationGetRelationName(rel))));
    if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("table \"%s\" has row-level security enabled", RelationGetRelationName(rel)),
                        errhint("Use ORDER BY <column> <operator> <query> LIMIT k, which applies the policies.")));
    AttrNumber attno = get_attnum(relid, column);
    if (attno == InvalidAttrNumber || attno < 0)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                        errmsg("column \"%s\" of table \"%s\" does not exist", column, RelationGetRelationName(rel))));
    Oid vector_type = get_fn_expr_argtype(fcinfo->flinfo, 2);
    if (TupleDescAttr(RelationGetDescr(rel), attno - 1)->atttypid != vector_type)
        ereport(ERROR,
                (errcode(ERRCODE_DATATYPE_MISMATCH), errmsg("column \"%s\" is not of type rushdb.vector", column)));

    double query_norm = 0;
    for (int i = 0; i < query->dim; ++i) query_norm += static_cast<double>(query->x[i]) * query->x[i];

    // Bounded max-heap of the k closest so far (palloc'd: no C++ objects
    // live across the PostgreSQL calls below).
    Hit* heap = static_cast<Hit*>(palloc(sizeof(Hit) * k));
    int size = 0;
    MemoryContext per_tuple = AllocSetContextCreate(CurrentMemoryContext, "rushdb exact scan", ALLOCSET_SMALL_SIZES);
    TupleTableSlot* slot = table_slot_create(rel, nullptr);
    TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, nullptr);
    uint64 seen = 0;
    BlockNumber current_block = InvalidBlockNumber;
    while (table_scan_getnextslot(scan, ForwardScanDirection, slot)) {
        if ((++seen & 1023) == 0) CHECK_FOR_INTERRUPTS();
        // Entering a page: prefetch all of its tuples at once. The scan
        // reads them in line-pointer order, which walks the page backwards,
        // and the hardware prefetcher neither follows that well nor crosses
        // into a buffer elsewhere in shared memory; this scan is bound by
        // memory latency, not arithmetic.
        BlockNumber block = ItemPointerGetBlockNumber(&slot->tts_tid);
        if (block != current_block && TTS_IS_BUFFERTUPLE(slot)) {
            current_block = block;
            auto* bslot = reinterpret_cast<BufferHeapTupleTableSlot*>(slot);
            if (BufferIsValid(bslot->buffer)) {
                const char* page = static_cast<const char*>(BufferGetPage(bslot->buffer));
                auto* header = reinterpret_cast<const PageHeaderData*>(page);
                for (int off = header->pd_special - 64; off >= static_cast<int>(header->pd_upper); off -= 64)
                    __builtin_prefetch(page + off);
            }
        }
        bool isnull;
        Datum d = slot_getattr(slot, attno, &isnull);
        if (isnull) continue;
        struct varlena* raw = reinterpret_cast<struct varlena*>(DatumGetPointer(d));
        bool detoasted = VARATT_IS_EXTENDED(raw);
        MemoryContext old = detoasted ? MemoryContextSwitchTo(per_tuple) : nullptr;
        Vector* v = reinterpret_cast<Vector*>(detoasted ? PG_DETOAST_DATUM(d) : raw);
        if (v->dim != query->dim)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("vector dimensions differ: %d and %d", v->dim, query->dim)));
        double distance = measure(metric, query->x, v->x, v->dim, query_norm);
        if (detoasted) {
            MemoryContextSwitchTo(old);
            MemoryContextReset(per_tuple);
        }
        if (std::isnan(distance)) continue;  // cosine with a zero vector: no order
        if (size < k) {
            heap[size++] = Hit{distance, slot->tts_tid};
            std::push_heap(heap, heap + size, farther);
        } else if (distance < heap[0].distance) {
            std::pop_heap(heap, heap + size, farther);
            heap[size - 1] = Hit{distance, slot->tts_tid};
            std::push_heap(heap, heap + size, farther);
        }
    }
    table_endscan(scan);
    ExecDropSingleTupleTableSlot(slot);
    table_close(rel, AccessShareLock);
    std::sort_heap(heap, heap + size, farther);

    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    for (int i = 0; i < size; ++i) {
        Datum values[2];
        bool nulls[2] = {false, false};
        auto* tid = static_cast<ItemPointer>(palloc(sizeof(ItemPointerData)));
        *tid = heap[i].tid;
        values[0] = PointerGetDatum(tid);
        values[1] = Float8GetDatum(heap[i].distance);
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return (Datum)0;
}

}  // extern "C"
