// Paths and type names for error messages about a caller's JSON: where.age.$gt,
// select.total.$sum, where["first name"], "an object", "a string".
#pragma once

#include <cstddef>
#include <string>

#include "json/json_value.hpp"

namespace rushdb::json {

// True for names written bare in a path: letters, digits (not first), _ and $.
bool is_plain_name(const std::string& key);
// path.key, or path["key"] when the key is not a plain name (its bytes shown
// escaped when it is not valid UTF-8).
std::string path_member(const std::string& path, const std::string& key);
// path[i]
std::string path_index(const std::string& path, std::size_t i);
// "an object", "a string", ... for messages.
std::string a_type(JsonType t);

}  // namespace rushdb::json
