// Compiles a RushDB `where` filter (JSON) into a parameterised SQL boolean
// expression over a record's properties (jsonb). The user's reference for the
// language is docs/where-filter.md; this header is the contract for the
// PostgreSQL glue.
//
// Safety: nothing the caller wrote is ever part of the SQL text. Property
// names, strings, numbers and datetimes all travel as parameters. The SQL is
// built only from this compiler's fixed fragments, "$N" placeholders and
// CompileOptions::properties_expr (which the glue fixes, and which is checked
// to be a plain dotted identifier).
//
// Binding: every Param is bound as text (e.g. SPI_execute_with_args with
// TEXTOID for every argument); the SQL casts each placeholder to its type at
// the point of use ("$3::numeric"), so Param::kind only documents what the
// text holds. The same placeholder may appear several times in the SQL.
//
// SQL helper functions the glue must provide (schema rushdb):
//
//   rushdb_internal.prop_values(properties jsonb, key text) RETURNS SETOF jsonb
//       IMMUTABLE PARALLEL SAFE
//     The values of property `key`: no rows when either argument is NULL,
//     `properties` is not an object, the key is absent, or its value is JSON
//     null; one row per element, in order, when the value is an array (null
//     elements skipped); otherwise one row, the value itself. A LANGUAGE sql
//     body does it, and the planner inlines it into the calling query as long
//     as it is not declared STRICT (the body already yields nothing for NULL):
//       SELECT e FROM jsonb_array_elements(CASE jsonb_typeof(properties -> key)
//           WHEN 'array' THEN properties -> key
//           ELSE jsonb_build_array(properties -> key) END) AS e
//       WHERE jsonb_typeof(e) <> 'null'
//
//   rushdb_internal.try_timestamptz(value text) RETURNS timestamptz
//       IMMUTABLE STRICT PARALLEL SAFE
//     NULL unless records::is_iso8601_datetime(value) (the exact grammar in
//     records/property_types.hpp); otherwise the instant it names, with a
//     date meaning midnight and a missing offset meaning UTC, i.e. the cast
//     of records::normalize_iso8601(value) to timestamptz. It must never
//     raise an error for any input text and must not depend on session
//     settings (TimeZone, DateStyle); "now", "today", "epoch", "Jan 5 2024"
//     and other forms timestamptz_in accepts are NULL here.
//
// The expression assumes the properties expression is never SQL NULL (the
// records table declares it NOT NULL); on NULL, parts of it would be NULL.
// Everything else is two-valued: the result is TRUE or FALSE for every row.
//
// Indexes: equality and $in compile to jsonb containment (@>) and $exists to
// the key-exists operator (?), both served by a GIN index on the properties
// with the default jsonb_ops (jsonb_path_ops serves only @>).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "json/json_value.hpp"

namespace rushdb::filter {

// What a parameter's text holds, and the SQL type it is cast to.
// `boolean` is part of the glue's binding vocabulary but the current
// compiler never produces it (booleans are matched as jsonb values).
enum class ParamKind { text, numeric, boolean, jsonb, timestamptz };

// "text", "numeric", "boolean", "jsonb", "timestamptz".
const char* sql_type_name(ParamKind kind) noexcept;

struct Param {
    ParamKind kind;
    std::string text;  // the value's text form, valid input for that type
};

inline bool operator==(const Param& a, const Param& b) { return a.kind == b.kind && a.text == b.text; }

struct CompiledFilter {
    std::string sql;            // a boolean SQL expression
    std::vector<Param> params;  // params[i] is placeholder $(first_param + i)
};

struct CompileOptions {
    // SQL expression of the jsonb properties: one to three dotted unquoted
    // identifiers ("properties", "r.properties", "rushdb.records.properties").
    // Must not use the range variable name `rushdb_e`, which the generated
    // subqueries use.
    std::string properties_expr = "properties";
    // Number of the first placeholder, so the caller's own parameters can come
    // first. 1 .. 64536, so that every placeholder stays within PostgreSQL's
    // 65535-parameter limit.
    int first_param = 1;
};

// Nesting limit of filter objects: the top-level filter is level 1, each
// $and/$or element or $not operand one level deeper.
constexpr std::size_t kMaxFilterDepth = 32;
// Distinct parameters one filter may produce (identical values share one).
constexpr std::size_t kMaxFilterParams = 1000;

// A filter the user must correct. path() locates the problem in the filter
// ("where.age.$gt", "where.$or[1].name", "where[\"first name\"]"); what() is
// "<path>: <message>".
class FilterError : public std::runtime_error {
public:
    FilterError(std::string path, std::string message);
    const std::string& path() const noexcept { return path_; }
    const std::string& message() const noexcept { return message_; }

private:
    std::string path_;
    std::string message_;
};

// Throws FilterError for a filter the language does not accept, and
// std::invalid_argument for invalid CompileOptions (a programming error).
CompiledFilter compile_where(const json::JsonValue& where, const CompileOptions& options = {});

}  // namespace rushdb::filter
