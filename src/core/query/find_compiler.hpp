// Compiles a RushDB `records.find` query ({labels, where, orderBy, skip,
// limit, select, aggregate, groupBy}) into the SQL that answers it over
// rushdb.records. The user's reference is docs/find.md; this header is the
// contract for the PostgreSQL glue (src/pg/find_api.cpp).
//
// The where filter is compiled by src/core/filter (twice: over the record
// alias "r" of the main query and over "c", the alias of the correlated
// $collect subqueries) and handed in as SQL; this compiler adds labels,
// ordering, paging and the select / groupBy projection.
//
// Safety, as in the where compiler: nothing the caller wrote is SQL text.
// Labels, property names, select keys and literal numbers travel as text
// parameters ($N); the SQL is this compiler's fixed
// fragments, the filter SQL and integers it validated itself (LIMIT,
// OFFSET, $precision, bucket sizes). Every function and operator is
// schema-qualified.
//
// SQL helpers the glue must provide (schema rushdb_internal):
//   record_json(rushdb.records) -> jsonb      the record as the SDK returns it
//   sort_key(value jsonb, type text) -> jsonb an order-preserving key: numbers
//       by value, then datetimes (type 'datetime') by instant, then strings,
//       booleans, arrays; NULL for an absent or null value
//   min_value(jsonb) / max_value(jsonb)       aggregates over sort_key order
//   time_bucket(value text, unit text, size integer) -> bigint
//       start of the UTC bucket holding an ISO-8601 datetime, epoch millis
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "json/json_value.hpp"

namespace rushdb::query {

// A query the user must correct; path() locates it ("select.total.$sum").
class FindError : public std::runtime_error {
public:
    FindError(std::string path, std::string message);
    const std::string& path() const noexcept { return path_; }
    const std::string& message() const noexcept { return message_; }

private:
    std::string path_;
    std::string message_;
};

// A query beyond a resource limit (too much SQL, too many parameters): the
// glue reports it with another SQLSTATE (54000).
class FindLimitError : public FindError {
public:
    using FindError::FindError;
};

constexpr int kDefaultLimit = 100;  // RushDB's default page
constexpr int kMaxLimit = 1000;     // and its largest
constexpr std::size_t kMaxLabels = 100;
constexpr std::size_t kMaxSelectKeys = 100;
constexpr std::size_t kMaxExprDepth = 16;  // also counted through $ref
// Most SQL one request may compile to ($ref chains can double it per key).
constexpr std::size_t kMaxSqlBytes = 1024 * 1024;

struct FindOptions {
    // Placeholders already used by the filter ($1 .. $filter_params): ours
    // are $(filter_params + 1) ... Every value is its own text parameter:
    // elements of one array parameter would each fold, in a custom plan, to
    // a copy of the whole array (memory growing with references x bytes).
    std::size_t filter_params = 0;
    // The compiled where filter over alias "r" and over alias "c" ("TRUE" when
    // there is none). filter_c is read only by grouped queries (groupBy).
    std::string filter_r = "TRUE";
    std::string filter_c = "TRUE";
};

struct FindQuery {
    // One jsonb column per row, the rows of "data" in order.
    std::string data_sql;
    // One bigint row: the records that match labels and where ("total").
    std::string count_sql;
    // The parameters after the filter's, in order (all text).
    std::vector<std::string> params;
    bool grouped = false;
};

// The top-level keys find accepts.
const std::vector<std::string>& find_keys();

// Throws FindError for a query the language does not accept.
FindQuery compile_find(const json::JsonValue& query, const FindOptions& options);

}  // namespace rushdb::query
