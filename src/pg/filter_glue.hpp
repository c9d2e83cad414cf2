// The where-filter compiler as the SQL layer needs it: placeholders written
// as elements of one text[] parameter ($param_no[i]) so any number of values
// travels as a single bound array, and the compiler's limits turned into
// SQLSTATEs. Throws UserError: 22023 for a bad filter, 54000 for one with
// too many nodes or too much SQL, 54001 for one nested too deeply; and
// PgError when the query is cancelled during compilation.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "pg_prelude.hpp"

extern "C" {
#include "nodes/pg_list.h"
}

namespace rushdb::pg {

// Compiles a where filter over rushdb.records aliased `record_alias` (its
// properties, id and proptypes columns) into `sql` with its parameters:
// elements of the text[] parameter $param_no (as_array), or separate text
// parameters $param_no, $param_no + 1, ... Separate parameters cost less
// when a plan is made for the values: each array element folds to a copy of
// the whole array.
void compile_filter(const char* filter_json, const char* record_alias, int param_no, std::size_t max_nodes,
                    std::string& sql, std::vector<std::string>& params, bool as_array = true);

// Every range index on rushdb.records, as palloc'd "kind:property" strings:
// an index whose expression is rushdb_internal.number_range (kind "number")
// or instant_range ("instant") of a constant key, as create_property_index
// makes. The where compiler writes ranges on these properties as overlaps.
// Calls PostgreSQL (relcache) and may raise: run it through pg_call.
List* range_indexed_properties();

// rushdb.max_filter_nodes, the limit every where filter is compiled with.
int max_filter_nodes();

// The search settings (rushdb.max_filter_nodes, rushdb.search_plan_cache_size),
// registered from _PG_init.
void register_search_settings();

}  // namespace rushdb::pg
