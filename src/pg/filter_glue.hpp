// The where-filter compiler as the SQL layer needs it: placeholders rewritten
// to elements of one text[] parameter ($param_no[i]) so any number of values
// travels as a single bound array. Throws UserError (22023) on a bad filter.
#pragma once

#include <string>
#include <vector>

namespace rushdb::pg {

void compile_filter(const char* filter_json, const char* properties_expr, int param_no, std::string& sql,
                    std::vector<std::string>& params);

}  // namespace rushdb::pg
