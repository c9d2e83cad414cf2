// CREATE INDEX / REINDEX for rushdb_hnsw, and the init fork of unlogged
// indexes.
//
// The heap is scanned once; vectors go into an in-memory graph
// (src/core/hnsw/memory_graph) that is built with several threads and then
// written to pages in one sequential pass, followed by one WAL record per
// page range. If the graph outgrows maintenance_work_mem, what was
// collected so far is built and written, a NOTICE says so, and the rest of
// the heap is inserted one tuple at a time through the regular insert path
// (slower, same result).
#include <unistd.h>

#include <vector>

#include "boundary.hpp"
#include "hnsw/memory_graph.hpp"
#include "hnsw_am.hpp"
#include "hnsw_insert.hpp"
#include "hnsw_storage.hpp"
#include "vector_type.hpp"

extern "C" {
#include "access/tableam.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/smgr.h"
#include "utils/backend_progress.h"
#include "utils/memutils.h"
}

namespace core = rushdb::hnsw;

namespace rushdb::pg::hnsw {
namespace {

// The C++ side of a build: owned by a memory-context reset callback so an
// error or cancel anywhere frees it (it lives in malloc'd memory, which the
// transaction abort would not reclaim).
struct GraphBuffer {
    core::MemoryGraph graph;
    std::vector<ItemPointerData> heap_tids;  // by graph id

    GraphBuffer(core::Metric metric, int dims, const core::Params& p)
        : graph(metric, static_cast<std::size_t>(dims), p) {}
};

void free_graph_buffer(void* arg) { delete static_cast<GraphBuffer*>(arg); }

struct BuildState {
    Relation index;
    IndexParams params;
    int dims;                     // 0 until the first vector
    MemoryContext build_context;  // owns the GraphBuffer (reset callback)
    MemoryContext tuple_context;  // reset after every heap tuple
    GraphBuffer* buffer;
    std::size_t memory_budget;
    bool spilled;  // graph written; remaining tuples use the insert path
    double heap_tuples;
    double indexed;
    float* scratch;  // dims floats, for preparing vectors
};

int build_threads() {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = 1 + max_parallel_maintenance_workers;
    if (cpus > 0 && threads > cpus) threads = static_cast<int>(cpus);
    return threads < 1 ? 1 : threads;
}

void check_dims(BuildState* b, int dim) {
    if (b->dims == 0) {
        b->dims = dim;
        return;
    }
    if (dim != b->dims)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("expected %d dimensions, not %d", b->dims, dim),
                 errhint("Every vector in a rushdb_hnsw index must have the same number of "
                         "dimensions; declare the column as vector(n).")));
}

void create_graph_buffer(BuildState* b) {
    auto* callback =
        static_cast<MemoryContextCallback*>(MemoryContextAllocZero(b->build_context, sizeof(MemoryContextCallback)));
    core::Params p;
    p.m = b->params.m;
    p.ef_construction = b->params.ef_construction;
    auto metric = static_cast<core::Metric>(b->params.metric);
    int dims = b->dims;
    b->buffer = guarded([&] { return new GraphBuffer(metric, dims, p); });
    callback->func = free_graph_buffer;
    callback->arg = b->buffer;
    MemoryContextRegisterResetCallback(b->build_context, callback);
}

// The order elements go onto pages: breadth-first from the entry point on
// layer 0, so an element's neighbours tend to sit on the pages next to its
// own (an index scan touches fewer distinct pages and TLB entries). On 335k
// real 100-dim vectors this gave 575-594 against 548-581 queries/s at ef 200
// in three alternating rounds, same recall (docs/hnsw.md). Elements no
// layer-0 walk reaches (none after ensure_reachable) follow in heap order.
void placement_order(const core::MemoryGraph& g, core::MemoryGraph::Id* order, MemoryContext cx) {
    std::size_t n = g.size();
    if (n == 0) return;
    if (g.entry_point() == core::MemoryGraph::kNone) {
        for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<core::MemoryGraph::Id>(i);
        return;
    }
    auto* seen = static_cast<char*>(MemoryContextAllocHuge(cx, n));
    memset(seen, 0, n);
    std::size_t head = 0, tail = 0;
    auto push = [&](core::MemoryGraph::Id id) {
        if (!seen[id]) {
            seen[id] = 1;
            order[tail++] = id;
        }
    };
    push(g.entry_point());
    for (std::size_t start = 0; tail < n; ++start) {
        while (head < tail) {
            core::MemoryGraph::Id id = order[head++];
            std::size_t count = g.link_count(id, 0);
            const core::Link* links = g.links(id, 0);
            for (std::size_t j = 0; j < count; ++j) push(links[j].id);
        }
        while (start < n && seen[start]) ++start;
        if (start < n) push(static_cast<core::MemoryGraph::Id>(start));
    }
    pfree(seen);
}

// Where write_graph puts every element and chunk, decided before any page
// is written so links can be written as final TIDs. Arrays by graph id
// unless said otherwise, in the build context.
struct GraphPlacement {
    core::MemoryGraph::Id* order;  // graph ids in the order they are laid out
    ItemPointerData* where;        // each element's TID
    ItemPointerData* first_chunk;  // each vector's first chunk; nullptr when all are inline
    BlockNumber first_element_block;
    BlockNumber element_pages;
    BlockNumber first_chunk_block;
    BlockNumber chunk_pages;
};

// Layout planning: the element order, then the element pages packed in that
// order, then (only when some element is not inline) the chunk pages, the
// chunks of one vector as consecutive tuples.
GraphPlacement plan_placement(BuildState* b) {
    const core::MemoryGraph& g = b->buffer->graph;
    std::size_t n = g.size();
    ElementLayout layout{b->params.m, b->dims};
    GraphPlacement p{};

    p.order = static_cast<core::MemoryGraph::Id*>(
        MemoryContextAllocHuge(b->build_context, sizeof(core::MemoryGraph::Id) * (n > 0 ? n : 1)));
    placement_order(g, p.order, b->build_context);

    p.where = static_cast<ItemPointerData*>(
        MemoryContextAllocHuge(b->build_context, sizeof(ItemPointerData) * (n > 0 ? n : 1)));
    p.first_element_block = 1;
    BlockNumber block = p.first_element_block;
    PagePacker packer;
    for (std::size_t k = 0; k < n; ++k) {
        std::size_t i = p.order[k];
        std::size_t size = layout.tuple_size(g.level(static_cast<core::MemoryGraph::Id>(i)));
        if (!packer.fits(size)) {
            ++block;
            packer = PagePacker{};
        }
        ItemPointerSet(&p.where[i], block, packer.add(size));
    }
    p.element_pages = n > 0 ? block - p.first_element_block + 1 : 0;
    p.first_chunk_block = p.first_element_block + p.element_pages;

    p.first_chunk = nullptr;
    p.chunk_pages = 0;
    bool any_chunked = false;
    for (std::size_t i = 0; i < n && !any_chunked; ++i)
        any_chunked = !layout.vector_inline(g.level(static_cast<core::MemoryGraph::Id>(i)));
    if (!any_chunked) return p;
    p.first_chunk =
        static_cast<ItemPointerData*>(MemoryContextAllocHuge(b->build_context, sizeof(ItemPointerData) * n));
    BlockNumber cb = p.first_chunk_block;
    PagePacker cp;
    bool used = false;
    for (std::size_t i = 0; i < n; ++i) {
        ItemPointerSetInvalid(&p.first_chunk[i]);
        if (layout.vector_inline(g.level(static_cast<core::MemoryGraph::Id>(i)))) continue;
        int remaining = b->dims;
        bool first = true;
        while (remaining > 0) {
            int count = chunk_floats(remaining);
            std::size_t size = sizeof(ChunkHeader) + sizeof(float) * count;
            if (!cp.fits(size)) {
                ++cb;
                cp = PagePacker{};
            }
            OffsetNumber off = cp.add(size);
            used = true;
            if (first) ItemPointerSet(&p.first_chunk[i], cb, off);
            first = false;
            remaining -= count;
        }
    }
    p.chunk_pages = used ? cb - p.first_chunk_block + 1 : 0;
    return p;
}

// Element pages, in placement order: each element with its links already
// translated to the TIDs planned for their targets.
void write_element_pages(BuildState* b, const GraphPlacement& p) {
    GraphBuffer* gb = b->buffer;
    const core::MemoryGraph& g = gb->graph;
    std::size_t n = g.size();
    ElementLayout layout{b->params.m, b->dims};
    char* page_image = static_cast<char*>(palloc(BLCKSZ));
    char* tuple = static_cast<char*>(palloc(kMaxTupleSize));
    std::size_t k = 0;
    for (BlockNumber blk = p.first_element_block; blk < p.first_element_block + p.element_pages; ++blk) {
        init_page(page_image, kPageElements);
        for (; k < n && ItemPointerGetBlockNumber(&p.where[p.order[k]]) == blk; ++k) {
            std::size_t i = p.order[k];
            auto id = static_cast<core::MemoryGraph::Id>(i);
            int level = g.level(id);
            ItemPointerData chunk;
            ItemPointerSetInvalid(&chunk);
            if (p.first_chunk) chunk = p.first_chunk[i];
            fill_element(tuple, layout, level, gb->heap_tids[i], chunk, g.vector(id));
            ElementView view{reinterpret_cast<ElementHeader*>(tuple), &layout};
            for (int l = 0; l <= level; ++l) {
                std::size_t count = g.link_count(id, l);
                const core::Link* links = g.links(id, l);
                view.counts()[l] = static_cast<uint8>(count);
                for (std::size_t j = 0; j < count; ++j) view.links(l)[j] = p.where[links[j].id];
            }
            OffsetNumber off =
                PageAddItem(page_image, tuple, layout.tuple_size(level), InvalidOffsetNumber, false, false);
            if (off != ItemPointerGetOffsetNumber(&p.where[i]))
                ereport(ERROR,
                        (errcode(ERRCODE_INTERNAL_ERROR), errmsg("rushdb_hnsw build: element placement mismatch")));
        }
        append_built_page(b->index, page_image, blk);
        CHECK_FOR_INTERRUPTS();
    }
    pfree(page_image);
    pfree(tuple);
}

// Chunk pages: the out-of-line vectors in graph-id order, each chunk
// pointing at the next (on the same page when it fits, else first on the
// next page), exactly as plan_placement packed them.
void write_chunk_pages(BuildState* b, const GraphPlacement& p) {
    if (p.chunk_pages == 0) return;
    const core::MemoryGraph& g = b->buffer->graph;
    std::size_t n = g.size();
    ElementLayout layout{b->params.m, b->dims};
    char* page_image = static_cast<char*>(palloc(BLCKSZ));
    char* tuple = static_cast<char*>(palloc(kMaxTupleSize));
    std::size_t v = 0;
    int remaining = 0, done_floats = 0;
    for (BlockNumber blk = p.first_chunk_block; blk < p.first_chunk_block + p.chunk_pages; ++blk) {
        init_page(page_image, kPageChunks);
        PagePacker cp;
        for (;;) {
            if (remaining == 0) {
                while (v < n && layout.vector_inline(g.level(static_cast<core::MemoryGraph::Id>(v)))) ++v;
                if (v >= n) break;
                remaining = b->dims;
                done_floats = 0;
            }
            int count = chunk_floats(remaining);
            std::size_t size = sizeof(ChunkHeader) + sizeof(float) * count;
            if (!cp.fits(size)) break;
            OffsetNumber off = cp.add(size);
            auto* c = reinterpret_cast<ChunkHeader*>(tuple);
            std::memset(c, 0, sizeof(ChunkHeader));
            c->kind = kTupleChunk;
            c->count = static_cast<uint16>(count);
            // The next chunk goes right after this one (same page if it fits).
            if (remaining - count > 0) {
                std::size_t next_size = sizeof(ChunkHeader) + sizeof(float) * chunk_floats(remaining - count);
                PagePacker probe = cp;
                if (probe.fits(next_size))
                    ItemPointerSet(&c->next, blk, static_cast<OffsetNumber>(off + 1));
                else
                    ItemPointerSet(&c->next, blk + 1, FirstOffsetNumber);
            } else {
                ItemPointerSetInvalid(&c->next);
            }
            std::memcpy(tuple + sizeof(ChunkHeader), g.vector(static_cast<core::MemoryGraph::Id>(v)) + done_floats,
                        sizeof(float) * count);
            if (PageAddItem(page_image, tuple, size, InvalidOffsetNumber, false, false) != off)
                ereport(ERROR,
                        (errcode(ERRCODE_INTERNAL_ERROR), errmsg("rushdb_hnsw build: chunk placement mismatch")));
            remaining -= count;
            done_floats += count;
            if (remaining == 0) ++v;
        }
        append_built_page(b->index, page_image, blk);
        CHECK_FOR_INTERRUPTS();
    }
    pfree(page_image);
    pfree(tuple);
}

// Metapage: dimensions, entry point, hints.
void write_build_meta(BuildState* b, const GraphPlacement& p) {
    const core::MemoryGraph& g = b->buffer->graph;
    std::size_t n = g.size();
    Buffer mbuf = ReadBuffer(b->index, kMetaBlock);
    LockBuffer(mbuf, BUFFER_LOCK_EXCLUSIVE);
    MetaPageData* meta = meta_of(BufferGetPage(mbuf));
    meta->dims = static_cast<uint32>(b->dims);
    if (n > 0) {
        meta->entry = p.where[g.entry_point()];
        meta->entry_level = static_cast<int16>(g.max_level());
        meta->insert_page = p.first_element_block + p.element_pages - 1;
    }
    meta->chunk_page = p.chunk_pages > 0 ? p.first_chunk_block + p.chunk_pages - 1 : InvalidBlockNumber;
    meta->element_count = n;
    MarkBufferDirty(mbuf);
    UnlockReleaseBuffer(mbuf);
}

// Writes the in-memory graph to pages (block 0, the metapage, exists) in
// one sequential pass, then WAL-logs them all as full pages.
void write_graph(BuildState* b) {
    pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, kPhaseWrite);
    GraphPlacement p = plan_placement(b);
    write_element_pages(b, p);
    write_chunk_pages(b, p);
    write_build_meta(b, p);
    if (RelationNeedsWAL(b->index))
        log_newpage_range(b->index, MAIN_FORKNUM, 0, RelationGetNumberOfBlocks(b->index), true);
}

// Builds the collected graph with threads, then writes it out.
void flush_graph(BuildState* b) {
    if (b->buffer == nullptr) return;
    pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, kPhaseGraph);
    pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL, static_cast<int64>(b->buffer->graph.size()));
    int threads = build_threads();
    core::MemoryGraph* graph = &b->buffer->graph;
    // The progress callback runs on this thread and must not longjmp: it
    // only reads the interrupt flag; the interrupt is serviced afterwards.
    bool complete = guarded([&] {
        return graph->build(threads, [](std::size_t done) {
            pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, static_cast<int64>(done));
            // Only a cancel or termination stops the build; other interrupts
            // (barriers, catch-up signals) are serviced once it is done.
            return InterruptPending && (QueryCancelPending || ProcDiePending);
        });
    });
    CHECK_FOR_INTERRUPTS();
    if (!complete) ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("rushdb_hnsw build was interrupted")));
    write_graph(b);
}

void build_callback(Relation index, ItemPointer tid, Datum* values, bool* isnull, bool alive, void* state) {
    auto* b = static_cast<BuildState*>(state);
    b->heap_tuples += 1;
    if (isnull[0]) return;  // NULL vectors are not indexed
    MemoryContext old = MemoryContextSwitchTo(b->tuple_context);
    Vector* v = key_vector(values[0], b->params);
    check_dims(b, v->dim);

    if (!b->spilled && b->buffer != nullptr) {
        std::size_t per =
            core::MemoryGraph::bytes_per_element(b->dims, core::Params{b->params.m, b->params.ef_construction});
        if ((b->buffer->graph.size() + 1) * (per + sizeof(ItemPointerData)) > b->memory_budget) {
            ereport(NOTICE, (errmsg("rushdb_hnsw graph no longer fits in maintenance_work_mem after %zu tuples",
                                    b->buffer->graph.size()),
                             errdetail("Building from the collected tuples, then inserting the rest one by one, "
                                       "which is much slower."),
                             errhint("Increase maintenance_work_mem to about %zu MB to build entirely in memory.",
                                     static_cast<std::size_t>(b->heap_tuples * 1.2 * (per + 6) / (1024 * 1024)) + 1)));
            flush_graph(b);
            b->spilled = true;
        }
    }

    if (b->spilled) {
        if (insert_vector(index, v->x, v->dim, tid, b->params)) b->indexed += 1;
    } else {
        if (b->buffer == nullptr) create_graph_buffer(b);
        GraphBuffer* gb = b->buffer;
        const float* x = v->x;
        ItemPointerData heap_tid = *tid;
        bool added = guarded([&] {
            if (gb->graph.add(x) == core::MemoryGraph::kNone) return false;  // zero vector, cosine
            gb->heap_tids.push_back(heap_tid);
            return true;
        });
        if (added) b->indexed += 1;
        if (static_cast<long>(b->indexed) % 1000 == 0)
            pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, static_cast<int64>(b->indexed));
    }
    MemoryContextSwitchTo(old);
    MemoryContextReset(b->tuple_context);
}

void write_meta_page(Relation index, ForkNumber fork, const IndexParams& p) {
    Buffer buf = ReadBufferExtended(index, fork, P_NEW, RBM_NORMAL, nullptr);
    LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
    if (BufferGetBlockNumber(buf) != kMetaBlock)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("rushdb_hnsw: index is not empty")));
    GenericXLogState* state = GenericXLogStart(index);
    Page page = GenericXLogRegisterBuffer(state, buf, GENERIC_XLOG_FULL_IMAGE);
    init_meta_page(page, p.m, p.ef_construction, p.metric);
    GenericXLogFinish(state);
    UnlockReleaseBuffer(buf);
}

void check_params(const IndexParams& p) {
    if (p.ef_construction < 2 * p.m)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("ef_construction (%d) must be at least 2 * m (%d)", p.ef_construction, 2 * p.m)));
}

}  // namespace

IndexBuildResult* build(Relation heap, Relation index, IndexInfo* info) {
    if (RelationGetNumberOfBlocks(index) != 0)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("index \"%s\" already contains data", RelationGetRelationName(index))));
    BuildState b;
    std::memset(&b, 0, sizeof(b));
    b.index = index;
    b.params = index_params(index);
    check_params(b.params);
    int typmod = TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;
    b.dims = typmod > 0 ? typmod : 0;
    b.memory_budget = static_cast<std::size_t>(maintenance_work_mem) * 1024;
    b.build_context = AllocSetContextCreate(CurrentMemoryContext, "rushdb_hnsw build", ALLOCSET_DEFAULT_SIZES);
    b.tuple_context = AllocSetContextCreate(b.build_context, "rushdb_hnsw build tuple", ALLOCSET_DEFAULT_SIZES);

    write_meta_page(index, MAIN_FORKNUM, b.params);

    pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, kPhaseLoad);
    double reltuples = table_index_build_scan(heap, index, info, true, true, build_callback, &b, nullptr);
    if (!b.spilled) flush_graph(&b);

    MemoryContextDelete(b.build_context);  // frees the graph (reset callback)

    auto* result = static_cast<IndexBuildResult*>(palloc(sizeof(IndexBuildResult)));
    result->heap_tuples = reltuples;
    result->index_tuples = b.indexed;
    return result;
}

// Unlogged indexes: the init fork holds an empty index (just the metapage)
// and is WAL-logged, so after a crash the index is reset to empty and
// usable.
void build_empty(Relation index) {
    IndexParams p = index_params(index);
    Page page = static_cast<Page>(palloc(BLCKSZ));
    init_meta_page(page, p.m, p.ef_construction, p.metric);
    PageSetChecksumInplace(page, kMetaBlock);
    SMgrRelation smgr = RelationGetSmgr(index);
    smgrwrite(smgr, INIT_FORKNUM, kMetaBlock, page, true);
    log_newpage(&smgr->smgr_rnode.node, INIT_FORKNUM, kMetaBlock, page, true);
    smgrimmedsync(RelationGetSmgr(index), INIT_FORKNUM);
    pfree(page);
}

}  // namespace rushdb::pg::hnsw
