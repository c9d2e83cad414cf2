// The accepted name closest to a misspelt one, for "did you mean" hints.
// Pure C++ (no PostgreSQL): unit-tested in test/unit/test_near_miss.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rushdb::text {

// Levenshtein distance over bytes, ignoring ASCII case (so "Limit" is one
// away from nothing, zero from "limit").
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `name`, or "" when none is near enough to be a
// plausible typo: at most 2 edits, and fewer than half of the name's length.
std::string closest_name(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace rushdb::text
