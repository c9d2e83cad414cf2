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
// TEXTOID for every argument), or, with CompileOptions::param_array, all of
// them as the elements of one text[] parameter; the SQL casts each
// placeholder to its type at the point of use ("$3::pg_catalog.numeric",
// "$5[3]::pg_catalog.numeric"; an instant as
// "<kHelperSchema>.try_timestamptz($5[3]::pg_catalog.text)", which unlike
// the STABLE timestamptz cast folds to a constant), so Param::kind only
// documents what the text holds. The same placeholder may appear several times in the SQL.
//
// Shape: parameters are numbered by the filter's structure, not by its
// values (one for each property condition's name, one for each operand), so
// two filters that differ only in names and values compile to the same SQL
// text, and a prepared plan can be shared by them.
//
// Names: every function, operator and type in the SQL is schema-qualified
// (pg_catalog, and kHelperSchema for the two helpers below), so the SQL
// means the same under any search_path.
//
// Limits (FilterLimitError): nodes (CompileOptions::max_nodes), nesting
// (kMaxFilterDepth), SQL size (CompileOptions::max_sql_bytes) and, with $N
// placeholders, PostgreSQL's 65535 parameters. CompileOptions::
// check_interrupts, when set, is called once per node and may throw to
// abandon the compilation (the exception propagates unchanged).
//
// SQL helper functions the glue must provide (schema kHelperSchema):
//
//   <kHelperSchema>.prop_values(properties jsonb, key text) RETURNS SETOF jsonb
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
//   <kHelperSchema>.try_timestamptz(value text) RETURNS timestamptz
//       IMMUTABLE STRICT PARALLEL SAFE
//     NULL unless records::is_iso8601_datetime(value) (the exact grammar in
//     records/property_types.hpp); otherwise the instant it names, with a
//     date meaning midnight and a missing offset meaning UTC, i.e. the cast
//     of records::normalize_iso8601(value) to timestamptz. It must never
//     raise an error for any input text and must not depend on session
//     settings (TimeZone, DateStyle); "now", "today", "epoch", "Jan 5 2024"
//     and other forms timestamptz_in accepts are NULL here.
//
//   <kHelperSchema>.number_range(properties jsonb, key text) RETURNS numrange
//   <kHelperSchema>.instant_range(properties jsonb, key text) RETURNS tstzrange
//       IMMUTABLE STRICT PARALLEL SAFE
//     [least, greatest] of the property's numbers (of try_timestamptz of its
//     strings), values as prop_values yields them, inclusive bounds; NULL
//     when there is none. Range operators ($gt $gte $lt $lte) on a property
//     CompileOptions::range_indexed names compile to an overlap (&&) of these
//     with a constant range, so a GiST index on one serves them.
//
// The expression assumes the properties expression is never SQL NULL (the
// records table declares it NOT NULL); on NULL, parts of it would be NULL.
// Everything else is two-valued: the result is TRUE or FALSE for every row.
//
// Indexes: equality and $in compile to jsonb containment (@>) and $exists to
// the key-exists operator (?), both served by a GIN index on the properties
// with the default jsonb_ops (jsonb_path_ops serves only @>); ranges on
// properties with range indexes to an overlap of number_range /
// instant_range with a constant range (in a custom plan), served by
// expression GiST indexes on them.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "json/json_value.hpp"

namespace rushdb::filter {

// What a parameter's text holds, and the SQL type it is cast to.
// `boolean` is part of the glue's binding vocabulary but the current
// compiler never produces it (booleans are matched as jsonb values).
enum class ParamKind { text, numeric, boolean, jsonb, timestamptz, uuid };

// "text", "numeric", "boolean", "jsonb", "timestamptz", "uuid".
const char* sql_type_name(ParamKind kind) noexcept;

struct Param {
    ParamKind kind;
    std::string text;  // the value's text form, valid input for that type
};

inline bool operator==(const Param& a, const Param& b) { return a.kind == b.kind && a.text == b.text; }

struct CompiledFilter {
    std::string sql;            // a boolean SQL expression
    std::vector<Param> params;  // params[i] is $(first_param + i), or $param_array[i + 1]
};

// Schema of the SQL helpers the compiled filters call (prop_values,
// try_timestamptz). The one place to change when they move.
constexpr const char* kHelperSchema = "rushdb_internal";

// Nesting limit of filter objects: the top-level filter is level 1, each
// $and/$or element or $not operand one level deeper.
constexpr std::size_t kMaxFilterDepth = 32;
// Default of CompileOptions::max_nodes (see there for what counts).
constexpr std::size_t kDefaultMaxFilterNodes = 1000;
// Default of CompileOptions::max_sql_bytes.
constexpr std::size_t kDefaultMaxFilterSqlBytes = 1024 * 1024;
// PostgreSQL's limit on $N placeholders in one statement.
constexpr long long kMaxPlaceholder = 65535;

struct CompileOptions {
    // SQL expression of the jsonb properties: one to three dotted unquoted
    // identifiers ("properties", "r.properties", "rushdb.records.properties").
    // Must not use the range variable name `rushdb_e`, which the generated
    // subqueries use.
    std::string properties_expr = "properties";
    // The record's id (uuid) and its __proptypes (jsonb object), for $id and
    // $type; the same shape rule as properties_expr.
    std::string id_expr = "id";
    std::string proptypes_expr = "proptypes";
    // Number of the first placeholder, so the caller's own parameters can come
    // first: 1 .. 65535. A filter whose last placeholder would pass 65535 is
    // a FilterLimitError (params).
    int first_param = 1;
    // When 1 .. 65535: every parameter is an element of the one text[]
    // parameter $param_array, written "$K[i]" with i from 1 (params[i - 1]),
    // and first_param is ignored. Any number of values then travels as one
    // bound array.
    int param_array = 0;
    // Most nodes a filter may have: one for each filter object (the top level,
    // each $and / $or element, each $not operand), one for each condition on
    // a property (a plain value, or each operator in its operator object) and
    // one for each element of an $in / $nin list. {"name": "a"} has 2.
    std::size_t max_nodes = kDefaultMaxFilterNodes;
    // Most bytes of generated SQL.
    std::size_t max_sql_bytes = kDefaultMaxFilterSqlBytes;
    // Called once per node when set; may throw to abandon the compilation
    // (e.g. when the query was cancelled). The exception propagates as is.
    std::function<void()> check_interrupts;
    // Whether range conditions ($gt $gte $lt $lte) on property `key` with
    // operands of `kind` ("number" or "instant") are written as an overlap of
    // number_range / instant_range with a constant range, which an
    // expression index on that function serves and the planner estimates
    // from the index's statistics. Unset or false: an EXISTS over the values,
    // as before; the planner has no statistics for the overlap without the
    // index, and its default guess for && (0.5% of the rows) would make
    // every range filter look selective.
    std::function<bool(const char* kind, const std::string& key)> range_indexed;
};

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

// A filter beyond one of the limits: too many nodes, too deep, too much SQL,
// or too many $N placeholders. Still the user's to correct (simplify the
// filter, split the search), but a resource limit rather than a mistake, so
// the glue reports it with another SQLSTATE.
class FilterLimitError : public FilterError {
public:
    enum class Limit { nodes, depth, sql_bytes, params };
    FilterLimitError(Limit limit, std::string path, std::string message)
        : FilterError(std::move(path), std::move(message)), limit_(limit) {}
    Limit limit() const noexcept { return limit_; }

private:
    Limit limit_;
};

// Throws FilterError for a filter the language does not accept
// (FilterLimitError for one beyond a limit), std::invalid_argument for
// invalid CompileOptions (a programming error), and whatever
// options.check_interrupts throws.
CompiledFilter compile_where(const json::JsonValue& where, const CompileOptions& options = {});

}  // namespace rushdb::filter
