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
#include "hnsw_am.hpp"
#include "hnsw_page.hpp"

extern "C" {
#include "access/relation.h"
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

std::string tid_text(uint64 id) {
    return "(" + std::to_string(id >> 16) + "," + std::to_string(id & 0xFFFF) + ")";
}

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
            return seen->second == element ? "it loops back to " + tid_text(id)
                                           : "chunk " + tid_text(id) + " is also in the chain of element " +
                                                 tid_text(seen->second);
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
    for (BlockNumber blk = 1; blk < nblocks; ++blk) {
        pg_call([&] {
            Buffer buf = ReadBuffer(index, blk);
            LockBuffer(buf, BUFFER_LOCK_SHARE);
            Page page = BufferGetPage(buf);
            uint16 kind = page_kind(page);
            if (kind != kPageElements && kind != kPageChunks && !all_zero(page))
                problems.push_back("block " + std::to_string(blk) + " has unknown page kind " + std::to_string(kind));
            if (kind == kPageElements) {
                OffsetNumber max = PageGetMaxOffsetNumber(page);
                for (OffsetNumber off = FirstOffsetNumber; off <= max; ++off) {
                    ElementHeader* e = element_in_page(page, off);
                    if (e == nullptr) continue;
                    ItemPointerData tid;
                    ItemPointerSet(&tid, blk, off);
                    uint64 id = pack_tid(tid);
                    if (ItemIdGetLength(PageGetItemId(page, off)) != layout.tuple_size(e->level)) {
                        problems.push_back("element " + tid_text(id) + " has a tuple of the wrong size");
                        continue;
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
                            problems.push_back("element " + tid_text(id) + " layer " + std::to_string(l) +
                                               " claims " + std::to_string(count) + " links (max " +
                                               std::to_string(layout.max_links(l)) + ")");
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
                }
            }
            UnlockReleaseBuffer(buf);
        });
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
            // the element. Only visible rows count.
            std::size_t unreachable = 0;
            uint64 example = 0;
            Relation heap = pg_call([&] { return table_open(index->rd_index->indrelid, AccessShareLock); });
            Snapshot snapshot = pg_call([&] { return RegisterSnapshot(GetLatestSnapshot()); });
            IndexFetchTableData* fetch = pg_call([&] { return table_index_fetch_begin(heap); });
            TupleTableSlot* slot = pg_call([&] { return table_slot_create(heap, nullptr); });
            for (const auto& [id, n] : nodes)
                if (!n.deleted && !reached.count(id)) {
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
                                   " live elements are unreachable from the entry point (e.g. " +
                                   tid_text(example) + ")");
        }
    }

    std::unordered_map<uint64, uint64> chunk_owner;
    for (const auto& [id, first] : chunked) {
        std::string wrong = check_chain(index, nblocks, first, layout.dims, id, chunk_owner);
        if (!wrong.empty()) problems.push_back("element " + tid_text(id) + " has a broken vector chunk chain: " + wrong);
    }
    return problems;
}

}  // namespace
}  // namespace rushdb::pg::hnsw

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_hnsw_verify);

Datum rushdb_hnsw_verify(PG_FUNCTION_ARGS) {
    Oid relid = PG_GETARG_OID(0);
    // Reading every page of an index is for its table's owner (as REINDEX
    // is): checked before the index is even locked.
    Oid table = IndexGetRelation(relid, true);
    if (!OidIsValid(table)) {
        char* name = get_rel_name(relid);
        if (name == nullptr)
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", relid)));
        ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("\"%s\" is not an index", name)));
    }
    if (!pg_class_ownercheck(table, GetUserId()))
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("must be owner of table %s to verify its index %s", get_rel_name(table),
                               get_rel_name(relid)),
                        errhint("Run rushdb.hnsw_verify as the table's owner (or a member of the owning role) or "
                                "as a superuser.")));
    Relation index = index_open(relid, AccessShareLock);
    if (index->rd_rel->relam != get_am_oid("rushdb_hnsw", false)) {
        index_close(index, AccessShareLock);
        ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                        errmsg("\"%s\" is not a rushdb_hnsw index", get_rel_name(relid))));
    }
    // Problems are copied out as palloc'd text before the C++ strings die.
    int count = 0;
    Datum* items = rushdb::pg::guarded([&] {
        std::vector<std::string> problems = rushdb::pg::hnsw::verify(index);
        count = static_cast<int>(problems.size());
        auto* d = static_cast<Datum*>(
            rushdb::pg::pg_call([&] { return palloc(sizeof(Datum) * (count > 0 ? count : 1)); }));
        for (int i = 0; i < count; ++i) {
            const std::string& p = problems[static_cast<std::size_t>(i)];
            d[i] = rushdb::pg::pg_call([&] { return PointerGetDatum(cstring_to_text_with_len(p.data(), static_cast<int>(p.size()))); });
        }
        return d;
    });
    index_close(index, AccessShareLock);
    PG_RETURN_ARRAYTYPE_P(construct_array(items, count, TEXTOID, -1, false, TYPALIGN_INT));
}

}  // extern "C"
