// Index scans: ORDER BY embedding <op> query [LIMIT k].
//
// The scan descends the upper layers greedily, then runs the resumable
// layer-0 search (src/core/hnsw/resumable_search.hpp) with ef_search. When
// the executor keeps asking for rows (a WHERE clause rejected some), the
// search widens and continues instead of stopping short, up to
// rushdb.hnsw_max_scan_tuples rows, so LIMIT k returns k rows whenever k
// rows match. Results are exact distances; their order is approximate.
//
// The pending list (hnsw_pending.hpp) is read first and measured exactly;
// its rows are returned in distance order, interleaved with the graph's
// stream, and a graph result whose heap TID came from the list (a merge
// running under the scan, or a merge a crash interrupted) is skipped.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "boundary.hpp"
#include "hnsw/id_set.hpp"
#include "hnsw/resumable_search.hpp"
#include "hnsw/search_layer.hpp"
#include "hnsw_am.hpp"
#include "hnsw_element_cache.hpp"
#include "hnsw_graph_access.hpp"
#include "hnsw_storage.hpp"
#include "hnsw_pending.hpp"
#include "vector_type.hpp"

extern "C" {
#include "access/relscan.h"
#include "pgstat.h"
#include "utils/snapmgr.h"
}

namespace core = rushdb::hnsw;

namespace rushdb::pg::hnsw {
namespace {

// C++ state of one scan; freed by a reset callback on the scan's context.
struct SearchState {
    PageGraph graph;
    core::ResumableSearch<PageGraph> search;
    std::vector<float> query;
    std::vector<core::Candidate<PageGraph::Id>> batch;
    std::size_t position = 0;
    std::size_t returned = 0;
    bool has_graph = false;  // false: the index has only pending rows
    // The pending list's rows as a min-heap on distance: a scan usually
    // takes a few of thousands, so they are not sorted up front.
    std::vector<PendingHit> pending;
    // Heap TIDs given so far or due from the pending list: a row is never
    // returned twice (a graph copy of a pending row; two graph copies left
    // by a merge a crash interrupted).
    core::IdSet seen_tids;

    SearchState(Relation index, int m, int dims, core::Metric metric) : graph(index, m, dims, metric) {}
};

void free_search_state(void* arg) { delete static_cast<SearchState*>(arg); }

struct ScanOpaque {
    MemoryContext context;
    SearchState* state;  // nullptr until the first tuple is requested
    bool started;
    bool done;
    Vector* query;  // copy of the ORDER BY argument, nullptr when NULL
    IndexParams params;
    MetaPageData meta;
};

double user_distance(core::Metric metric, float graph_distance) {
    switch (metric) {
        case core::Metric::l2:
            return std::sqrt(static_cast<double>(graph_distance));
        case core::Metric::cosine:
            return 1.0 + static_cast<double>(graph_distance);
        case core::Metric::inner_product:
        case core::Metric::l1:
            return static_cast<double>(graph_distance);
    }
    return graph_distance;
}

// Heap order of pending hits: the closest on top; a NaN distance (inner
// product overflowing) counts as the farthest, keeping the order strict.
// Equal distances come out in heap-TID order (the order of insertion for
// rows of one table page), so ties are ordered the same from run to run.
float heap_key(float d) { return std::isnan(d) ? std::numeric_limits<float>::infinity() : d; }
bool farther(const PendingHit& a, const PendingHit& b) {
    float x = heap_key(a.distance), y = heap_key(b.distance);
    if (x != y) return x > y;
    return pack_tid(a.heap_tid) > pack_tid(b.heap_tid);
}

// Starts the search; returns false when there is nothing to return.
bool start_search(IndexScanDesc scan, ScanOpaque* so) {
    read_meta(scan->indexRelation, &so->meta);
    if (so->query == nullptr) return false;  // ORDER BY distance to NULL: no order to give
    bool has_graph = so->meta.entry_level >= 0 && ItemPointerIsValid(&so->meta.entry);
    if (!has_graph && so->meta.pending_head == 0) return false;
    int dims = static_cast<int>(so->meta.dims);
    if (so->query->dim != dims)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("query vector has %d dimensions, index \"%s\" has %d", so->query->dim,
                               RelationGetRelationName(scan->indexRelation), dims)));

    auto metric = static_cast<core::Metric>(so->params.metric);
    auto* callback =
        static_cast<MemoryContextCallback*>(MemoryContextAllocZero(so->context, sizeof(MemoryContextCallback)));
    Relation index = scan->indexRelation;
    int m = so->meta.m;  // the layout's, not a reloption ALTER INDEX may have changed since
    const float* qx = so->query->x;
    ItemPointerData entry_tid = so->meta.entry;
    int entry_level = so->meta.entry_level;
    int ef = g_ef_search;

    SearchState* st = guarded([&] { return new SearchState(index, m, dims, metric); });
    callback->func = free_search_state;
    callback->arg = st;
    MemoryContextRegisterResetCallback(so->context, callback);
    so->state = st;
    // The element cache is safe only under an MVCC snapshot (see
    // hnsw_element_cache.hpp) and only for shared buffers (a temporary
    // index is private and cheap to read anyway).
    if (scan->xs_snapshot != nullptr && IsMVCCSnapshot(scan->xs_snapshot) && !RelationUsesLocalBuffers(index))
        st->graph.use_cache(ElementCache::get(index->rd_node, so->meta.cache_epoch, dims));

    bool directed = guarded([&] {
        st->query.assign(qx, qx + dims);
        // A zero query under cosine has no direction: every distance is NaN.
        return core::prepare_vector(metric, st->query.data(), st->query.size());
    });
    if (!directed) return false;

    // The pending list first: a row merged into the graph after this read is
    // then found twice, and its graph copy skipped; one merged before it is
    // already reachable in the graph.
    if (so->meta.pending_head != 0) {
        int hit_count = 0;
        PendingHit* hits = pending_collect(index, so->meta.pending_head, dims, core::GraphDistance::for_metric(metric),
                                           st->query.data(), &hit_count);
        guarded([&] {
            st->pending.assign(hits, hits + hit_count);
            std::make_heap(st->pending.begin(), st->pending.end(), farther);
            st->seen_tids.reserve(st->pending.size() + 64);
            for (const auto& h : st->pending) st->seen_tids.insert(pack_tid(h.heap_tid));
        });
        pfree(hits);
    }
    if (!has_graph) {
        // The graph was empty; a merge may have filled it while the list
        // was read, moving rows out of the part not yet read.
        read_meta(index, &so->meta);
        has_graph = so->meta.entry_level >= 0 && ItemPointerIsValid(&so->meta.entry);
        if (!has_graph) return true;
        entry_tid = so->meta.entry;
        entry_level = so->meta.entry_level;
    }

    return guarded([&] {
        st->graph.set_query(st->query.data());
        // About 17 elements are visited per unit of ef (3,400 at ef 200 on
        // 100-dim GloVe, m=16); the map doubles when a search needs more.
        // Oversizing it costs a memset and cache lines per query.
        st->graph.reset_visited(static_cast<std::size_t>(ef) * 20);
        PageGraph::Id ep = pack_tid(entry_tid);
        st->graph.visit(ep);
        core::Candidate<PageGraph::Id> cur{st->graph.distance(ep), ep};
        for (int l = entry_level; l > 0; --l) cur = core::greedy_closest(st->graph, cur, l);
        st->graph.new_round();
        st->graph.visit(cur.id);
        st->search.start(st->graph, {cur}, ef);
        st->batch = st->search.next_batch(st->graph);
        st->position = 0;
        st->has_graph = true;
        return true;
    });
}

// The next live graph result not already given by the pending list, or
// nullptr when the graph has no more to give. Fetches further batches of
// the iterative search as needed.
const core::Candidate<PageGraph::Id>* next_graph_result(SearchState* st, const ElementInfo** info_out) {
    if (!st->has_graph) return nullptr;
    bool iterative = g_iterative_scan;
    std::size_t max_tuples = static_cast<std::size_t>(g_max_scan_tuples);
    for (;;) {
        while (st->position < st->batch.size()) {
            const auto& c = st->batch[st->position];
            const ElementInfo* info = st->graph.info(c.id);
            if (info == nullptr || info->state != kLive || st->seen_tids.contains(pack_tid(info->heap_tid))) {
                st->position++;
                continue;
            }
            *info_out = info;
            return &c;
        }
        if (!iterative || st->returned >= max_tuples || st->search.exhausted()) return nullptr;
        bool more = guarded([&] {
            st->batch = st->search.next_batch(st->graph);
            st->position = 0;
            return !st->batch.empty();
        });
        if (!more) return nullptr;
        CHECK_FOR_INTERRUPTS();
    }
}

}  // namespace

IndexScanDesc begin_scan(Relation index, int nkeys, int norderbys) {
    IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
    auto* so = static_cast<ScanOpaque*>(palloc0(sizeof(ScanOpaque)));
    so->context = AllocSetContextCreate(CurrentMemoryContext, "rushdb_hnsw scan", ALLOCSET_DEFAULT_SIZES);
    so->params = index_params(index);
    // The AM owns the ORDER BY value arrays (the executor reads them).
    scan->xs_orderbyvals = static_cast<Datum*>(palloc0(sizeof(Datum) * (norderbys > 0 ? norderbys : 1)));
    scan->xs_orderbynulls = static_cast<bool*>(palloc(sizeof(bool) * (norderbys > 0 ? norderbys : 1)));
    for (int i = 0; i < norderbys; ++i) scan->xs_orderbynulls[i] = true;
    scan->opaque = so;
    return scan;
}

void rescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys) {
    auto* so = static_cast<ScanOpaque*>(scan->opaque);
    MemoryContextReset(so->context);  // frees the previous search (callback)
    so->state = nullptr;
    so->started = false;
    so->done = false;
    so->query = nullptr;
    if (keys && scan->numberOfKeys > 0) memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
    if (orderbys && scan->numberOfOrderBys > 0)
        memmove(scan->orderByData, orderbys, scan->numberOfOrderBys * sizeof(ScanKeyData));
    if (scan->numberOfOrderBys > 0 && !(scan->orderByData[0].sk_flags & SK_ISNULL)) {
        MemoryContext old = MemoryContextSwitchTo(so->context);
        Vector* q = key_vector(scan->orderByData[0].sk_argument, so->params);
        so->query = static_cast<Vector*>(palloc(VARSIZE(q)));
        std::memcpy(so->query, q, VARSIZE(q));
        MemoryContextSwitchTo(old);
    }
}

bool get_tuple(IndexScanDesc scan, ScanDirection dir) {
    auto* so = static_cast<ScanOpaque*>(scan->opaque);
    if (so->done) return false;
    if (scan->numberOfOrderBys == 0)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("a rushdb_hnsw index can only be scanned with ORDER BY <distance operator>")));
    if (!so->started) {
        so->started = true;
        pgstat_count_index_scan(scan->indexRelation);
        if (!start_search(scan, so)) {
            so->done = true;
            return false;
        }
    }
    SearchState* st = so->state;
    auto metric = static_cast<core::Metric>(so->params.metric);
    const ElementInfo* info = nullptr;
    const auto* c = next_graph_result(st, &info);
    bool from_pending = !st->pending.empty() && (c == nullptr || st->pending.front().distance <= c->distance);
    if (c == nullptr && !from_pending) {
        so->done = true;
        return false;
    }
    float distance;
    if (from_pending) {
        const PendingHit h = st->pending.front();
        std::pop_heap(st->pending.begin(), st->pending.end(), farther);
        st->pending.pop_back();
        scan->xs_heaptid = h.heap_tid;
        distance = h.distance;
    } else {
        scan->xs_heaptid = info->heap_tid;
        distance = c->distance;
        guarded([&] { st->seen_tids.insert(pack_tid(info->heap_tid)); });
        st->position++;
        st->returned++;
    }
    scan->xs_recheck = false;
    scan->xs_recheckorderby = false;
    scan->xs_orderbyvals[0] = Float8GetDatum(user_distance(metric, distance));
    scan->xs_orderbynulls[0] = false;
    return true;
}

void end_scan(IndexScanDesc scan) {
    auto* so = static_cast<ScanOpaque*>(scan->opaque);
    MemoryContextDelete(so->context);
    pfree(so);
    scan->opaque = nullptr;
}

}  // namespace rushdb::pg::hnsw
