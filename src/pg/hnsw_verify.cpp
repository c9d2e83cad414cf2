// rushdb.hnsw_verify(index): amcheck-style invariants of the on-disk graph.
// Returns one line per problem; none means the index is consistent.
//
// Checked: the metapage; every page's kind (a page of zeros, left by a
// crash while the index grew, is fine); every element's link counts and
// slots; every link points at an element tuple tall enough for that layer,
// not itself, not twice (links to elements marked deleted are fine: that is
// the state between VACUUM's two passes, or after a crash between them,
// until the next VACUUM finishes); the entry point is an element of the top
// level (its level matching the metapage's); every live element is
// reachable on layer 0 from the entry point (an unreachable element is a row
// no search can return; one whose heap row no current snapshot sees, such
// as an insert a crash aborted before it was linked, is not counted);
// chunked vectors have exactly `dims` floats, in a chain of chunk tuples
// that ends there and shares no chunk with another.
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "boundary.hpp"
#include "datum_glue.hpp"
#include "hnsw_am.hpp"
#include "hnsw_storage.hpp"
#include "hnsw_pending.hpp"

extern "C" {
#include "access/relation.h"
#include "access/xlog.h"
#include "access/table.h"
#include "access/tableam.h"
#include "executor/tuptable.h"
#include "utils/snapmgr.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "commands/defrem.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
}

namespace rushdb::pg::hnsw {
namespace {

struct Node {
    uint8 level;
    bool deleted;
    ItemPointerData heap_tid;
    std::vector<std::vector<uint64>> links;  // per layer
};

// A block of zeros is what a crash leaves when it hits between extending
// the relation (the file keeps the new block) and the WAL record that
// initialises the page: recovery never touches it, and nothing uses it. Not
// a problem in itself; a link into it is reported as a link to a
// non-element.
bool all_zero(Page page) {
    const char* bytes = page;
    for (std::size_t i = 0; i < BLCKSZ; ++i)
        if (bytes[i] != 0) return false;
    return true;
}

std::string tid_text(uint64 id) { return "(" + std::to_string(id >> 16) + "," + std::to_string(id & 0xFFFF) + ")"; }

// Walks the chunk chain of `element`'s vector: every link a chunk tuple on
// a chunk page, the counts adding up to exactly `dims` with the chain ending
// there, and no chunk in two chains (VACUUM deletes a removed element's
// chain to its end, so a chain that runs on or is shared would take another
// vector with it). `owner` maps each chunk seen to its element. Returns
// what is wrong, or "" for a sound chain.
std::string check_chain(Relation index, BlockNumber nblocks, ItemPointerData first, int dims, uint64 element,
                        std::unordered_map<uint64, uint64>& owner) {
    ItemPointerData at = first;
    long filled = 0;
    while (ItemPointerIsValid(&at)) {
        uint64 id = pack_tid(at);
        if (filled >= dims)
            return "it goes on past the vector's " + std::to_string(dims) + " floats to " + tid_text(id);
        auto [seen, fresh] = owner.emplace(id, element);
        if (!fresh)
            return seen->second == element
                       ? "it loops back to " + tid_text(id)
                       : "chunk " + tid_text(id) + " is also in the chain of element " + tid_text(seen->second);
        bool is_chunk = false;
        int count = 0;
        ItemPointerData next;
        ItemPointerSetInvalid(&next);
        BlockNumber blk = ItemPointerGetBlockNumber(&at);
        OffsetNumber off = ItemPointerGetOffsetNumber(&at);
        if (blk != kMetaBlock && blk < nblocks) {
            pg_call([&] {
                Buffer buf = ReadBuffer(index, blk);
                LockBuffer(buf, BUFFER_LOCK_SHARE);
                Page page = BufferGetPage(buf);
                if (page_kind(page) == kPageChunks && off >= FirstOffsetNumber && off <= PageGetMaxOffsetNumber(page)) {
                    ItemId item = PageGetItemId(page, off);
                    if (ItemIdIsNormal(item) && ItemIdGetLength(item) >= sizeof(ChunkHeader)) {
                        auto* c = reinterpret_cast<ChunkHeader*>(PageGetItem(page, item));
                        if (c->kind == kTupleChunk &&
                            ItemIdGetLength(item) >= sizeof(ChunkHeader) + sizeof(float) * c->count) {
                            is_chunk = true;
                            count = c->count;
                            next = c->next;
                        }
                    }
                }
                UnlockReleaseBuffer(buf);
            });
        }
        if (!is_chunk) return tid_text(id) + " is not a vector chunk";
        if (count == 0 || filled + count > dims)
            return "chunk " + tid_text(id) + " holds " + std::to_string(count) + " floats after " +
                   std::to_string(filled) + " of " + std::to_string(dims);
        filled += count;
        at = next;
    }
    if (filled < dims) return "it ends after " + std::to_string(filled) + " of " + std::to_string(dims) + " floats";
    return "";
}

std::vector<std::string> verify(Relation index) {
    std::vector<std::string> problems;
    MetaPageData meta;
    pg_call([&] { read_meta(index, &meta); });
    ElementLayout layout{meta.m, static_cast<int>(meta.dims)};
    std::unordered_map<uint64, Node> nodes;
    int top_level = -1;

    BlockNumber nblocks = pg_call([&] { return RelationGetNumberOfBlocks(index); });
    std::vector<std::pair<uint64, ItemPointerData>> chunked;
    std::unordered_map<BlockNumber, BlockNumber> pending_next;  // pending page -> next
    std::unordered_set<uint64> pending_rows;                    // heap TIDs in the list
    std::size_t pending_size = sizeof(PendingHeader) + sizeof(float) * static_cast<std::size_t>(meta.dims);
    for_each_page(index, nullptr, BUFFER_LOCK_SHARE, [&](BlockNumber blk, Buffer, Page page) {
        uint16 kind = page_kind(page);
        if (kind != kPageElements && kind != kPageChunks && kind != kPagePending && !all_zero(page))
            problems.push_back("block " + std::to_string(blk) + " has unknown page kind " + std::to_string(kind));
        if (kind == kPagePending) {
            pending_next[blk] = reinterpret_cast<PageOpaque*>(PageGetSpecialPointer(page))->next;
            OffsetNumber max = PageGetMaxOffsetNumber(page);
            for (OffsetNumber off = FirstOffsetNumber; off <= max; ++off) {
                ItemId item = PageGetItemId(page, off);
                auto* h = ItemIdIsNormal(item) ? reinterpret_cast<PendingHeader*>(PageGetItem(page, item)) : nullptr;
                if (h == nullptr || h->kind != kTuplePending || ItemIdGetLength(item) != pending_size) {
                    problems.push_back("pending page " + std::to_string(blk) + " item " + std::to_string(off) +
                                       " is not a pending entry of " + std::to_string(meta.dims) + " dimensions");
                    continue;
                }
                if (!(h->flags & kPendingDead)) pending_rows.insert(pack_tid(h->heap_tid));
            }
        }
        for_each_element_in_page(page, [&](OffsetNumber off, ElementHeader* e) {
            uint64 id = element_id(blk, off);
            if (ItemIdGetLength(PageGetItemId(page, off)) != layout.tuple_size(e->level)) {
                problems.push_back("element " + tid_text(id) + " has a tuple of the wrong size");
                return;
            }
            Node n;
            n.level = e->level;
            n.deleted = (e->flags & kFlagDeleted) != 0;
            n.heap_tid = e->heap_tid;
            ElementView view{e, &layout};
            n.links.resize(static_cast<std::size_t>(e->level) + 1);
            for (int l = 0; l <= e->level; ++l) {
                int count = view.counts()[l];
                if (count > layout.max_links(l)) {
                    problems.push_back("element " + tid_text(id) + " layer " + std::to_string(l) + " claims " +
                                       std::to_string(count) + " links (max " + std::to_string(layout.max_links(l)) +
                                       ")");
                    count = layout.max_links(l);
                }
                for (int i = 0; i < count; ++i) {
                    ItemPointerData& t = view.links(l)[i];
                    if (!ItemPointerIsValid(&t))
                        problems.push_back("element " + tid_text(id) + " has an invalid link");
                    else
                        n.links[static_cast<std::size_t>(l)].push_back(pack_tid(t));
                }
            }
            if (!e->vector_inline) chunked.emplace_back(id, e->first_chunk);
            if (!n.deleted && e->level > top_level) top_level = e->level;
            nodes.emplace(id, std::move(n));
        });
    });

    // The pending list: from the head, every page once, ending at the tail,
    // holding every pending page there is.
    {
        std::unordered_set<BlockNumber> walked;
        BlockNumber last = 0;
        for (BlockNumber b = meta.pending_head; b != 0;) {
            auto it = pending_next.find(b);
            if (it == pending_next.end()) {
                problems.push_back("pending list reaches block " + std::to_string(b) + ", not a pending page");
                break;
            }
            if (!walked.insert(b).second) {
                problems.push_back("pending list has a cycle at block " + std::to_string(b));
                break;
            }
            last = b;
            b = it->second;
        }
        if (last != meta.pending_tail)
            problems.push_back("pending list ends at block " + std::to_string(last) + ", metapage says " +
                               std::to_string(meta.pending_tail));
        if (walked.size() != meta.pending_pages)
            problems.push_back("pending list has " + std::to_string(walked.size()) + " pages, metapage says " +
                               std::to_string(meta.pending_pages));
        for (const auto& [b, next] : pending_next)
            if (!walked.count(b)) problems.push_back("pending page " + std::to_string(b) + " is not in the list");
    }

    std::size_t live = 0;
    for (const auto& [id, n] : nodes) {
        if (!n.deleted) ++live;
        for (std::size_t l = 0; l < n.links.size(); ++l) {
            std::unordered_set<uint64> seen;
            for (uint64 to : n.links[l]) {
                std::string where = "element " + tid_text(id) + " layer " + std::to_string(l);
                if (to == id) problems.push_back(where + " links to itself");
                if (!seen.insert(to).second) problems.push_back(where + " links twice to " + tid_text(to));
                auto it = nodes.find(to);
                if (it == nodes.end()) {
                    problems.push_back(where + " links to " + tid_text(to) + ", which is not an element");
                    continue;
                }
                if (it->second.level < l)
                    problems.push_back(where + " links to " + tid_text(to) + ", absent from that layer");
            }
        }
    }

    if (live > 0) {
        uint64 entry = pack_tid(meta.entry);
        auto it = ItemPointerIsValid(&meta.entry) ? nodes.find(entry) : nodes.end();
        if (it == nodes.end()) {
            problems.push_back("entry point " + tid_text(entry) + " is not an element");
        } else {
            if (meta.entry_level != it->second.level)
                problems.push_back("metapage entry level " + std::to_string(meta.entry_level) +
                                   " differs from the entry element's level " + std::to_string(it->second.level));
            if (meta.entry_level < top_level)
                problems.push_back("entry point level " + std::to_string(meta.entry_level) +
                                   " is below the tallest element's level " + std::to_string(top_level));
            // Layer-0 reachability from the entry point.
            std::unordered_set<uint64> reached{entry};
            std::vector<uint64> todo{entry};
            while (!todo.empty()) {
                uint64 id = todo.back();
                todo.pop_back();
                auto n = nodes.find(id);
                if (n == nodes.end()) continue;
                for (uint64 to : n->second.links[0])
                    if (reached.insert(to).second) todo.push_back(to);
            }
            // An unreachable element whose heap row no snapshot taken now
            // can see is not a lost row: its transaction aborted (a crash
            // between placing the element and its first in-link), or is
            // still inserting it, or the row is dead and VACUUM removes
            // the element. Only visible rows count. So do rows the pending
            // list holds (a merge under way), and an element whose row also
            // has a reachable element (a merge a crash interrupted after
            // placing it: the row was merged again).
            std::unordered_set<uint64> reached_rows;
            for (uint64 id : reached) {
                auto n = nodes.find(id);
                if (n != nodes.end() && !n->second.deleted) reached_rows.insert(pack_tid(n->second.heap_tid));
            }
            std::size_t unreachable = 0;
            uint64 example = 0;
            Relation heap = pg_call([&] { return table_open(index->rd_index->indrelid, AccessShareLock); });
            Snapshot snapshot = pg_call([&] { return RegisterSnapshot(GetLatestSnapshot()); });
            IndexFetchTableData* fetch = pg_call([&] { return table_index_fetch_begin(heap); });
            TupleTableSlot* slot = pg_call([&] { return table_slot_create(heap, nullptr); });
            for (const auto& [id, n] : nodes)
                if (!n.deleted && !reached.count(id) && !pending_rows.count(pack_tid(n.heap_tid)) &&
                    !reached_rows.count(pack_tid(n.heap_tid))) {
                    ItemPointerData tid = n.heap_tid;
                    bool visible = pg_call([&] {
                        bool call_again = false, all_dead = false;
                        bool found = table_index_fetch_tuple(fetch, &tid, snapshot, slot, &call_again, &all_dead);
                        ExecClearTuple(slot);
                        return found;
                    });
                    if (visible && unreachable++ == 0) example = id;
                }
            pg_call([&] {
                ExecDropSingleTupleTableSlot(slot);
                table_index_fetch_end(fetch);
                UnregisterSnapshot(snapshot);
                table_close(heap, AccessShareLock);
            });
            if (unreachable > 0)
                problems.push_back(std::to_string(unreachable) + " of " + std::to_string(live) +
                                   " live elements are unreachable from the entry point (e.g. " + tid_text(example) +
                                   ")");
        }
    }

    std::unordered_map<uint64, uint64> chunk_owner;
    for (const auto& [id, first] : chunked) {
        std::string wrong = check_chain(index, nblocks, first, layout.dims, id, chunk_owner);
        if (!wrong.empty())
            problems.push_back("element " + tid_text(id) + " has a broken vector chunk chain: " + wrong);
    }
    return problems;
}

}  // namespace
}  // namespace rushdb::pg::hnsw

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_hnsw_verify);

Datum rushdb_hnsw_verify(PG_FUNCTION_ARGS) {
    // ShareLock keeps writers (and the background merger) out while the
    // pages are read one by one, as amcheck's bt_index_parent_check does;
    // a standby can only take AccessShareLock (and replays meanwhile).
    LOCKMODE mode = RecoveryInProgress() ? AccessShareLock : ShareLock;
    Relation index = rushdb::pg::hnsw::open_index_as_owner(PG_GETARG_OID(0), "verify", mode);
    // Problems are copied out as palloc'd text before the C++ strings die.
    int count = 0;
    Datum* items = rushdb::pg::guarded([&] {
        std::vector<std::string> problems = rushdb::pg::hnsw::verify(index);
        count = static_cast<int>(problems.size());
        return rushdb::pg::text_datums(problems);
    });
    index_close(index, mode);
    PG_RETURN_ARRAYTYPE_P(construct_array(items, count, TEXTOID, -1, false, TYPALIGN_INT));
}

}  // extern "C"
