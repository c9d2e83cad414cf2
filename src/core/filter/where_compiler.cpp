#include "filter/where_compiler.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "json/json_path.hpp"
#include "records/property_types.hpp"

namespace rushdb::filter {

using json::JsonType;
using json::JsonValue;

const char* sql_type_name(ParamKind kind) noexcept {
    switch (kind) {
        case ParamKind::text:
            return "text";
        case ParamKind::numeric:
            return "numeric";
        case ParamKind::boolean:
            return "boolean";
        case ParamKind::jsonb:
            return "jsonb";
        case ParamKind::timestamptz:
            return "timestamptz";
        case ParamKind::uuid:
            return "uuid";
    }
    return "text";
}

FilterError::FilterError(std::string path, std::string message)
    : std::runtime_error(path + ": " + message), path_(std::move(path)), message_(std::move(message)) {}

namespace {

constexpr const char* kPropertyOperators =
    "$eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $contains, $startsWith, $endsWith, $exists, $type";
constexpr std::array<std::string_view, 13> kPropertyOperatorNames = {
    "$eq",  "$ne",       "$gt",         "$gte",      "$lt",     "$lte", "$in",
    "$nin", "$contains", "$startsWith", "$endsWith", "$exists", "$type"};

bool is_property_operator(const std::string& key) {
    return std::find(kPropertyOperatorNames.begin(), kPropertyOperatorNames.end(), key) != kPropertyOperatorNames.end();
}
bool is_logical_operator(const std::string& key) {
    return key == "$and" || key == "$or" || key == "$not" || key == "$nor" || key == "$xor";
}
// Datetime component objects ({"$year": 2024, "$month": 5}), coarsest first.
constexpr std::array<std::string_view, 9> kDatetimeKeys = {
    "$year", "$month", "$day", "$hour", "$minute", "$second", "$millisecond", "$microsecond", "$nanosecond"};
int datetime_key_rank(const std::string& key) {
    for (std::size_t i = 0; i < kDatetimeKeys.size(); ++i)
        if (kDatetimeKeys[i] == key) return static_cast<int>(i);
    return -1;
}
// The types $type names: __proptypes' four and "null" (absent).
constexpr std::array<std::string_view, 5> kTypeNames = {"string", "number", "boolean", "datetime", "null"};
constexpr const char* kIsoForms = "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM]";
// Range variable of the per-property subqueries (see CompileOptions).
constexpr const char* kElementAlias = "rushdb_e";

// ---------------------------------------------------------------------------
// Paths in error messages: where.age.$gt, where.$or[1].name, where["first name"]

using json::a_type;
using json::path_index;
using json::path_member;

bool is_scalar(const JsonValue& v) { return v.is_string() || v.is_number() || v.is_bool(); }

// ---------------------------------------------------------------------------
// Datetime component objects and ids

bool is_leap(long long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
long long days_in_month(long long y, long long m) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// The instant a datetime component object names, as ISO-8601 text in UTC
// ("2024-05-01T00:00:00.000000000Z"): the components not given are their
// smallest value, as RushDB (Neo4j's datetime({...})) reads them. nullopt
// when no key of `obj` is a component; a FilterError for a mix with other
// keys, a missing coarser component, or a value that is not an integer in
// range.
std::optional<std::string> datetime_object(const json::JsonObject& obj, const std::string& path) {
    bool any = false, other = false;
    for (const json::JsonMember& m : obj) (datetime_key_rank(m.key) >= 0 ? any : other) = true;
    if (!any) return std::nullopt;
    if (other)
        throw FilterError(path,
                          "a datetime component object takes only $year, $month, $day, $hour, $minute, "
                          "$second, $millisecond, $microsecond and $nanosecond; to compare with a datetime, "
                          "use it as the operand of an operator, such as {\"$gt\": {\"$year\": 2024}}");
    long long v[kDatetimeKeys.size()] = {};
    bool has[kDatetimeKeys.size()] = {};
    for (const json::JsonMember& m : obj) {
        const std::size_t r = static_cast<std::size_t>(datetime_key_rank(m.key));
        const std::string member_path = path_member(path, m.key);
        const std::string& t = m.value.is_number() ? m.value.number_text() : std::string();
        bool integer = !t.empty() && t.size() <= 10;
        for (std::size_t i = 0; i < t.size() && integer; ++i) integer = t[i] >= '0' && t[i] <= '9';
        if (!integer)
            throw FilterError(member_path, m.key + " takes a non-negative integer, not " +
                                               (m.value.is_number() ? "\"" + t + "\"" : a_type(m.value.type())));
        has[r] = true;
        v[r] = std::stoll(t);
    }
    if (!has[0]) throw FilterError(path, "a datetime component object needs $year");
    // A component needs the coarser ones: {"$year": 2024, "$day": 5} names no instant.
    for (std::size_t r = 1; r <= 5; ++r)
        if (has[r] && !has[r - 1])
            throw FilterError(path, std::string(kDatetimeKeys[r]) + " needs " + std::string(kDatetimeKeys[r - 1]));
    if ((has[6] || has[7] || has[8]) && !has[5])
        throw FilterError(path, "$millisecond, $microsecond and $nanosecond need $second");
    const long long year = v[0], month = has[1] ? v[1] : 1, day = has[2] ? v[2] : 1;
    auto range = [&](std::size_t r, long long lo, long long hi) {
        if (has[r] && (v[r] < lo || v[r] > hi))
            throw FilterError(path_member(path, std::string(kDatetimeKeys[r])),
                              std::string(kDatetimeKeys[r]) + " must be between " + std::to_string(lo) + " and " +
                                  std::to_string(hi));
    };
    range(0, 1, 9999);
    range(1, 1, 12);
    range(2, 1, days_in_month(year, month));
    range(3, 0, 23);
    range(4, 0, 59);
    range(5, 0, 59);
    // The finer sub-second components add to the coarser ones given.
    range(6, 0, 999);
    range(7, 0, has[6] ? 999 : 999999);
    range(8, 0, has[7] ? 999 : has[6] ? 999999 : 999999999);
    const long long nanos = v[6] * 1000000 + v[7] * 1000 + v[8];
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%09lldZ", year, month, day, v[3], v[4],
                  v[5], nanos);
    return std::string(buf);
}

// A record id as RushDB writes it: a UUID in its canonical 36-character form
// (either case). Returned in lower case.
std::optional<std::string> canonical_uuid(const std::string& s) {
    if (s.size() != 36) return std::nullopt;
    std::string out = s;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return std::nullopt;
        } else if (c >= '0' && c <= '9') {
        } else if (c >= 'a' && c <= 'f') {
        } else if (c >= 'A' && c <= 'F') {
            out[i] = static_cast<char>(c - 'A' + 'a');
        } else {
            return std::nullopt;
        }
    }
    return out;
}

// The instant of a datetime component object operand; nullopt for any other
// value (datetime_object's errors for a malformed one).
std::optional<std::string> datetime_operand(const JsonValue& v, const std::string& path) {
    return v.is_object() ? datetime_object(v.as_object(), path) : std::nullopt;
}

// FilterLimitError when `depth` levels of logical operators are too many.
void check_depth(std::size_t depth, const std::string& path) {
    if (depth > kMaxFilterDepth)
        throw FilterLimitError(FilterLimitError::Limit::depth, path,
                               "filters may nest at most " + std::to_string(kMaxFilterDepth) +
                                   " levels of $and / $or / $not / $nor / $xor; flatten the filter");
}

// ---------------------------------------------------------------------------
// Options

// properties_expr is spliced into the SQL, so it is held to the one shape the
// glue needs: dotted unquoted identifiers ("r.properties").
void check_column_expr(const char* option, const std::string& expr) {
    const auto bad = [&](const std::string& why) {
        throw std::invalid_argument(std::string(option) + " \"" + expr + "\" " + why);
    };
    std::size_t parts = 0;
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = expr.find('.', start);
        const std::string part = expr.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (part.empty() || (part[0] >= '0' && part[0] <= '9')) bad("must be one to three dotted unquoted identifiers");
        std::string folded;  // as PostgreSQL folds an unquoted identifier
        for (const char c : part) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
            if (!ok) bad("must be one to three dotted unquoted identifiers");
            folded += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        }
        if (folded == kElementAlias)
            bad(std::string("must not use the name ") + kElementAlias + ", which the filter's subqueries use");
        if (++parts > 3) bad("must be one to three dotted unquoted identifiers");
        if (dot == std::string::npos) return;
        start = dot + 1;
    }
}

void check_options(const CompileOptions& options) {
    check_column_expr("properties_expr", options.properties_expr);
    check_column_expr("id_expr", options.id_expr);
    check_column_expr("proptypes_expr", options.proptypes_expr);
    if (options.param_array < 0 || options.param_array > kMaxPlaceholder)
        throw std::invalid_argument("param_array must be 0 (no array) or between 1 and " +
                                    std::to_string(kMaxPlaceholder));
    if (options.param_array == 0 && (options.first_param < 1 || options.first_param > kMaxPlaceholder))
        throw std::invalid_argument("first_param must be between 1 and " + std::to_string(kMaxPlaceholder));
}

// Schema-qualified names, so the SQL does not depend on search_path.
std::string qop(const char* name) { return std::string(" OPERATOR(pg_catalog.") + name + ") "; }
std::string helper(const std::string& name) { return std::string(kHelperSchema) + "." + name; }

// ---------------------------------------------------------------------------
// The compiler: walks the filter, appends parameters, returns SQL fragments.
// Every fragment is self-delimiting (a parenthesised group, a function call
// or EXISTS (...)), so fragments combine without precedence surprises.

class Compiler {
public:
    explicit Compiler(const CompileOptions& options) : options_(options) {}

    std::string filter(const JsonValue& f, const std::string& path, std::size_t depth);
    std::vector<Param> take_params() { return std::move(params_); }
    // Throws FilterLimitError when `sql` is longer than options.max_sql_bytes.
    void check_size(const std::string& sql, const std::string& path) const;

private:
    // The placeholder of a property's name, taken on first use (so that a
    // fragment without it, such as {"$in": []}, leaves no unused parameter
    // behind) and shared by all of that property's conditions.
    struct Key {
        const std::string& name;
        const std::string& path;
        std::string placeholder;
    };

    // Counts one node (FilterLimitError past options.max_nodes) and gives
    // options.check_interrupts its turn.
    void node(const std::string& path);
    // A new placeholder with its cast, e.g. "$3::pg_catalog.numeric". Numbered
    // by position in the filter, never shared by equal values: the SQL text
    // depends on the filter's shape only.
    std::string param(ParamKind kind, std::string text, const std::string& path);
    // A caller string bound as text: must be storable in PostgreSQL text.
    std::string text_param(const std::string& s, const std::string& path);
    const std::string& key_param(Key& key) {
        if (key.placeholder.empty()) key.placeholder = param(ParamKind::text, key.name, key.path);
        return key.placeholder;
    }

    // One member of a filter object: a property condition, a logical
    // operator or $id.
    std::string member(const std::string& key, const JsonValue& value, const std::string& path, std::size_t depth);
    // $and / $or / $nor / $xor / $not over an array of filter objects or an
    // object whose members are taken one by one.
    std::string logical(const std::string& op, const JsonValue& operand, const std::string& path, std::size_t depth);
    std::string id_condition(const JsonValue& operand, const std::string& path);
    std::string property(const std::string& key, const JsonValue& value, const std::string& path, std::size_t depth);
    // A property's condition: a plain value, null, an array of conditions
    // or an object of operators (or a datetime component object).
    std::string condition(Key& key, const JsonValue& value, const std::string& path, std::size_t depth);
    std::string property_operator(Key& key, const std::string& op, const JsonValue& operand, const std::string& path,
                                  std::size_t depth);
    // The logical operators inside a property: over that property's conditions.
    std::string property_logical(Key& key, const std::string& op, const JsonValue& operand, const std::string& path,
                                 std::size_t depth);

    std::string equals(Key& key, const JsonValue& value, const std::string& path);
    std::string differs(Key& key, const JsonValue& value, const std::string& path);
    std::string instant(Key& key, const char* sql_op, const std::string& iso, const std::string& path);
    std::string any_of(Key& key, const JsonValue& list, const std::string& op, const std::string& path);
    std::string compare(Key& key, const std::string& op, const JsonValue& operand, const std::string& path);
    std::string string_match(Key& key, const std::string& op, const JsonValue& operand, const std::string& path);
    std::string type_is(Key& key, const JsonValue& operand, const std::string& path);
    std::string exists(Key& key);
    // <kind>_range of the property's values (kind "number" or "instant")
    // overlapping the range between two placeholders ("" for unbounded).
    std::string overlap(const std::string& k, const char* kind, const std::string& lower, bool lower_inclusive,
                        const std::string& upper, bool upper_inclusive);
    // Whether ranges of this kind on the key are written as overlaps (see
    // CompileOptions::range_indexed).
    bool range_indexed(const char* kind, const Key& key) const {
        return options_.range_indexed && options_.range_indexed(kind, key.name);
    }
    // One bound, sql_op one of > >= < <=.
    std::string one_sided(const std::string& k, const char* kind, const char* sql_op, const std::string& operand);
    // A lower and an upper bound among the operators, as one overlap;
    // marks them in `done`.
    std::optional<std::string> two_sided(Key& k, const json::JsonObject& ops, const std::string& path,
                                         std::vector<bool>& done);
    // EXISTS over the property's values (key placeholder `k`), `condition` on rushdb_e.v.
    std::string any_value(const std::string& k, const std::string& condition);
    // join() of the parts, checked against max_sql_bytes.
    std::string combine(const std::vector<std::string>& parts, bool is_and, const std::string& path) const;
    // The operator's combination of `parts` (AND, OR, NOT OR, XOR, NOT AND).
    std::string apply_logical(const std::string& op, const std::vector<std::string>& parts,
                              const std::string& path) const;

    const CompileOptions& options_;
    std::vector<Param> params_;
    std::size_t nodes_ = 0;
};

// Joins fragments with " AND " / " OR ", leaving out the operator's neutral
// element (TRUE for AND, FALSE for OR: from {} and empty $in / $nin lists).
std::string join(const std::vector<std::string>& parts, bool is_and) {
    const char* neutral = is_and ? "TRUE" : "FALSE";
    std::vector<const std::string*> kept;
    for (const std::string& part : parts)
        if (part != neutral) kept.push_back(&part);
    if (kept.empty()) return neutral;
    if (kept.size() == 1) return *kept[0];
    std::string out = "(";
    for (std::size_t i = 0; i < kept.size(); ++i) {
        if (i > 0) out += is_and ? " AND " : " OR ";
        out += *kept[i];
    }
    return out + ")";
}

std::string negate(const std::string& fragment) { return "(NOT " + fragment + ")"; }

std::string Compiler::param(ParamKind kind, std::string text, const std::string& path) {
    const std::size_t index = params_.size();  // 0-based
    std::string placeholder;
    if (options_.param_array > 0) {
        placeholder = "$" + std::to_string(options_.param_array) + "[" + std::to_string(index + 1) + "]";
    } else {
        const long long number = static_cast<long long>(options_.first_param) + static_cast<long long>(index);
        if (number > kMaxPlaceholder)
            throw FilterLimitError(FilterLimitError::Limit::params, path,
                                   "the filter needs more parameters than PostgreSQL allows in one statement (" +
                                       std::to_string(kMaxPlaceholder) + "); use fewer values or split the search");
        placeholder = "$" + std::to_string(number);
    }
    params_.push_back(Param{kind, std::move(text)});
    // Instants go through our ISO-8601 reader rather than the timestamptz
    // cast: the cast is STABLE (it reads TimeZone and DateStyle), so the
    // planner would not fold it to a constant, and a range could not be
    // matched to an index or estimated from statistics.
    if (kind == ParamKind::timestamptz) return helper("try_timestamptz") + "(" + placeholder + "::pg_catalog.text)";
    return placeholder + "::pg_catalog." + sql_type_name(kind);
}

void Compiler::node(const std::string& path) {
    if (++nodes_ > options_.max_nodes)
        throw FilterLimitError(FilterLimitError::Limit::nodes, path,
                               "the filter has more than " + std::to_string(options_.max_nodes) +
                                   " nodes (filter objects, conditions and list values); simplify it or split the "
                                   "search");
    if (options_.check_interrupts) options_.check_interrupts();
}

void Compiler::check_size(const std::string& sql, const std::string& path) const {
    if (sql.size() > options_.max_sql_bytes)
        throw FilterLimitError(FilterLimitError::Limit::sql_bytes, path,
                               "the filter compiles to more than " + std::to_string(options_.max_sql_bytes) +
                                   " bytes of SQL; use fewer conditions or split the search");
}

std::string Compiler::combine(const std::vector<std::string>& parts, bool is_and, const std::string& path) const {
    std::string out = join(parts, is_and);
    check_size(out, path);
    return out;
}

void check_text(const std::string& s, const std::string& path) {
    if (s.find('\0') != std::string::npos)
        throw FilterError(path, "text contains the NUL character (\\u0000), which PostgreSQL cannot store");
    if (!json::is_valid_utf8(s)) throw FilterError(path, "text is not valid UTF-8");
}

std::string Compiler::text_param(const std::string& s, const std::string& path) {
    check_text(s, path);
    return param(ParamKind::text, s, path);
}

std::string Compiler::filter(const JsonValue& f, const std::string& path, std::size_t depth) {
    if (!f.is_object())
        throw FilterError(path, "a filter must be a JSON object such as {\"name\": \"John\"}, not " + a_type(f.type()));
    check_depth(depth, path);
    node(path);
    std::vector<std::string> parts;
    for (const json::JsonMember& m : f.as_object())
        parts.push_back(member(m.key, m.value, path_member(path, m.key), depth));
    return combine(parts, true, path);
}

std::string Compiler::member(const std::string& key, const JsonValue& value, const std::string& path,
                             std::size_t depth) {
    if (key.empty() || key[0] != '$') return property(key, value, path, depth);
    if (is_logical_operator(key)) return logical(key, value, path, depth);
    if (key == "$id") {
        node(path);
        return id_condition(value, path);
    }
    if (is_property_operator(key))
        throw FilterError(path, key +
                                    " applies to a property; write it inside one, such as "
                                    "{\"age\": {\"" +
                                    key + "\": ...}}");
    throw FilterError(path, "unknown logical operator \"" + key +
                                "\"; at this level use $and, $or, $not, $nor, $xor, $id or a property name");
}

std::string Compiler::apply_logical(const std::string& op, const std::vector<std::string>& parts,
                                    const std::string& path) const {
    if (op == "$and") return combine(parts, true, path);
    if (op == "$or") return combine(parts, false, path);
    if (op == "$nor") return negate(combine(parts, false, path));
    if (op == "$not") return negate(combine(parts, true, path));
    // $xor: true when an odd number of parts hold (a chain of XORs, as
    // RushDB writes it); every fragment is TRUE or FALSE, so <> is XOR.
    std::string out = parts[0];
    for (std::size_t i = 1; i < parts.size(); ++i) out = "(" + out + qop("<>") + parts[i] + ")";
    check_size(out, path);
    return out;
}

std::string Compiler::logical(const std::string& op, const JsonValue& operand, const std::string& path,
                              std::size_t depth) {
    std::vector<std::string> parts;
    if (operand.is_array()) {
        const json::JsonArray& items = operand.as_array();
        for (std::size_t i = 0; i < items.size(); ++i)
            parts.push_back(filter(items[i], path_index(path, i), depth + 1));
    } else if (operand.is_object() && operand.as_object().empty()) {
        // {} is the filter that matches every record: {"$not": {}} matches none.
        parts.push_back(filter(operand, path, depth + 1));
    } else if (operand.is_object()) {
        // {"$or": {"a": 1, "b": 2}} is {"$or": [{"a": 1}, {"b": 2}]}: each
        // member on its own, one level deeper.
        check_depth(depth + 1, path);
        for (const json::JsonMember& m : operand.as_object()) {
            const std::string member_path = path_member(path, m.key);
            node(member_path);
            parts.push_back(member(m.key, m.value, member_path, depth + 1));
        }
    } else {
        throw FilterError(path, op + " takes an array of filter objects or one object of conditions, such as {\"" + op +
                                    "\": [{\"a\": 1}, {\"b\": 2}]} or {\"" + op + "\": {\"a\": 1, \"b\": 2}}, not " +
                                    a_type(operand.type()));
    }
    if (parts.empty()) throw FilterError(path, op + " needs at least one condition");
    return apply_logical(op, parts, path);
}

std::string Compiler::id_condition(const JsonValue& operand, const std::string& path) {
    const std::string& id = options_.id_expr;
    auto one = [&](const JsonValue& v, const std::string& p) {
        const std::optional<std::string> u = v.is_string() ? canonical_uuid(v.as_string()) : std::nullopt;
        if (!u)
            throw FilterError(
                p, "$id takes a record id (a UUID such as \"0190c4a2-7b3e-7c1d-9a2b-3c4d5e6f7a8b\")" +
                       std::string(v.is_string() ? ", and this string is not one" : ", not " + a_type(v.type())));
        return param(ParamKind::uuid, *u, p);
    };
    auto compare_id = [&](const char* sql_op, const JsonValue& v, const std::string& p) {
        return "(" + id + qop(sql_op) + one(v, p) + ")";
    };
    auto list = [&](const JsonValue& l, const std::string& p, const std::string& op) {
        if (!l.is_array()) throw FilterError(p, op + " on $id takes an array of record ids, not " + a_type(l.type()));
        std::vector<std::string> parts;
        const json::JsonArray& items = l.as_array();
        for (std::size_t i = 0; i < items.size(); ++i) {
            node(path_index(p, i));
            parts.push_back(compare_id("=", items[i], path_index(p, i)));
        }
        return combine(parts, false, p);
    };
    if (operand.is_string()) return compare_id("=", operand, path);
    if (!operand.is_object() || operand.as_object().empty())
        throw FilterError(path, "$id takes a record id or an object of $eq, $ne, $in, $nin, not " +
                                    (operand.is_object() ? std::string("an empty object") : a_type(operand.type())));
    std::vector<std::string> parts;
    for (const json::JsonMember& m : operand.as_object()) {
        const std::string op_path = path_member(path, m.key);
        node(op_path);
        if (m.key == "$eq")
            parts.push_back(compare_id("=", m.value, op_path));
        else if (m.key == "$ne")
            parts.push_back(compare_id("<>", m.value, op_path));
        else if (m.key == "$in")
            parts.push_back(list(m.value, op_path, m.key));
        else if (m.key == "$nin")
            parts.push_back(negate(list(m.value, op_path, m.key)));
        else
            throw FilterError(op_path,
                              "unsupported operator \"" + m.key + "\" on $id; $id takes $eq, $ne, $in and $nin");
    }
    return combine(parts, true, path);
}

std::string Compiler::property(const std::string& key, const JsonValue& value, const std::string& path,
                               std::size_t depth) {
    if (key == "__id" || key == "__label" || key == "__proptypes" || key == "__score" || key == "__vectors")
        throw FilterError(path, "\"" + key +
                                    "\" is a record field, not a property, and cannot be filtered "
                                    "in where (filter ids with $id; select labels with the search's own arguments)");
    // Writes refuse an empty name, so no record could match it.
    if (key.empty()) throw FilterError(path, "property names cannot be empty");
    check_text(key, path);
    Key k{key, path, {}};
    // A property's own logical operators count towards the same 32 levels.
    return condition(k, value, path, depth);
}

std::string Compiler::condition(Key& k, const JsonValue& value, const std::string& path, std::size_t depth) {
    check_depth(depth, path);
    switch (value.type()) {
        case JsonType::string:
        case JsonType::number:
        case JsonType::boolean:
            node(path);
            return equals(k, value, path);
        // A null property is unset: null matches records without it.
        case JsonType::null:
            node(path);
            return negate(exists(k));
        case JsonType::array: {
            // Every element's condition holds: {"tags": ["a", "b"]} has both.
            const json::JsonArray& items = value.as_array();
            if (items.empty())
                throw FilterError(path, "an empty array is no condition; use {\"$exists\": true} or a value");
            std::vector<std::string> parts;
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (items[i].is_array())
                    throw FilterError(path_index(path, i), "an array inside an array is not a value to match");
                parts.push_back(condition(k, items[i], path_index(path, i), depth + 1));
            }
            return combine(parts, true, path);
        }
        case JsonType::object:
            break;
    }
    const json::JsonObject& ops = value.as_object();
    if (ops.empty())
        throw FilterError(path,
                          "an operator object needs at least one operator (" + std::string(kPropertyOperators) + ")");
    if (std::optional<std::string> iso = datetime_object(ops, path)) {
        node(path);
        return instant(k, "=", *iso, path);
    }
    std::vector<std::string> parts;
    std::vector<bool> done(ops.size(), false);
    if (std::optional<std::string> range = two_sided(k, ops, path, done)) parts.push_back(*range);
    for (std::size_t i = 0; i < ops.size(); ++i) {
        if (done[i]) continue;
        const json::JsonMember& m = ops[i];
        const std::string op_path = path_member(path, m.key);
        if (m.key.empty() || m.key[0] != '$')
            throw FilterError(op_path, "a property's filter is a value or an object of operators (" +
                                           std::string(kPropertyOperators) +
                                           "); related-record filters (a label with conditions) are not supported");
        node(op_path);
        parts.push_back(property_operator(k, m.key, m.value, op_path, depth));
    }
    return combine(parts, true, path);
}

std::string Compiler::property_logical(Key& k, const std::string& op, const JsonValue& operand, const std::string& path,
                                       std::size_t depth) {
    check_depth(depth + 1, path);
    std::vector<std::string> parts;
    if (operand.is_array()) {
        // {"age": {"$or": [{"$lt": 5}, {"$gt": 65}]}}, {"genre": {"$or": ["a", "b"]}}
        const json::JsonArray& items = operand.as_array();
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (items[i].is_array())
                throw FilterError(path_index(path, i), op + " inside a property takes values or operator objects, "
                                                            "not arrays");
            parts.push_back(condition(k, items[i], path_index(path, i), depth + 1));
        }
    } else if (datetime_operand(operand, path)) {
        parts.push_back(condition(k, operand, path, depth + 1));
    } else if (operand.is_object()) {
        // {"age": {"$or": {"$lt": 5, "$gt": 65}}}: each operator on its own.
        for (const json::JsonMember& m : operand.as_object()) {
            const std::string op_path = path_member(path, m.key);
            if (m.key.empty() || m.key[0] != '$')
                throw FilterError(op_path, op + " inside a property combines that property's operators, such as {\"" +
                                               op + "\": {\"$lt\": 5, \"$gt\": 65}}");
            node(op_path);
            parts.push_back(property_operator(k, m.key, m.value, op_path, depth + 1));
        }
    } else {
        // {"$not": 5}: not equal to 5 (absent properties match, unlike $ne).
        if (op == "$not" && (is_scalar(operand) || operand.is_null()))
            parts.push_back(condition(k, operand, path, depth + 1));
        else
            throw FilterError(path, op +
                                        " inside a property takes an array of values or operator objects, or one "
                                        "object of operators, not " +
                                        a_type(operand.type()));
    }
    if (parts.empty()) throw FilterError(path, op + " needs at least one condition");
    return apply_logical(op, parts, path);
}

std::string Compiler::property_operator(Key& key, const std::string& op, const JsonValue& operand,
                                        const std::string& path, std::size_t depth) {
    if (op == "$eq") {
        if (operand.is_null()) return negate(exists(key));
        if (is_scalar(operand)) return equals(key, operand, path);
        if (std::optional<std::string> iso = datetime_operand(operand, path)) return instant(key, "=", *iso, path);
        throw FilterError(path, "$eq takes a string, number, boolean, null or datetime component object, not " +
                                    a_type(operand.type()));
    }
    if (op == "$ne") {
        if (operand.is_null()) return exists(key);
        if (std::optional<std::string> iso = datetime_operand(operand, path)) return instant(key, "<>", *iso, path);
        if (!is_scalar(operand))
            throw FilterError(path, "$ne takes a string, number, boolean, null or datetime component object, not " +
                                        a_type(operand.type()));
        return differs(key, operand, path);
    }
    if (op == "$gt" || op == "$gte" || op == "$lt" || op == "$lte") return compare(key, op, operand, path);
    if (op == "$in" || op == "$nin") return any_of(key, operand, op, path);
    if (op == "$contains" || op == "$startsWith" || op == "$endsWith") return string_match(key, op, operand, path);
    if (op == "$exists") {
        if (!operand.is_bool()) throw FilterError(path, "$exists takes true or false, not " + a_type(operand.type()));
        return operand.as_bool() ? exists(key) : negate(exists(key));
    }
    if (op == "$type") return type_is(key, operand, path);
    if (is_logical_operator(op)) return property_logical(key, op, operand, path, depth);
    if (datetime_key_rank(op) >= 0)
        throw FilterError(path, op + " belongs in a datetime component object on its own, such as {\"born\": "
                                     "{\"$year\": 2024, \"$month\": 5}} or {\"born\": {\"$gte\": {\"$year\": 2024}}}");
    throw FilterError(path, "unsupported operator \"" + op + "\"; the property operators are " + kPropertyOperators +
                                ", and $and, $or, $not, $nor, $xor over them");
}

std::string Compiler::equals(Key& key, const JsonValue& value, const std::string& path) {
    if (value.is_string() && value.as_string().find('\0') != std::string::npos)
        throw FilterError(path, "text contains the NUL character (\\u0000), which jsonb cannot hold");
    if (value.is_string() && !json::is_valid_utf8(value.as_string()))
        throw FilterError(path, "text is not valid UTF-8");
    const std::string k = key_param(key);
    const std::string v = param(ParamKind::jsonb, json::to_json(value), path);
    const std::string& p = options_.properties_expr;
    // A scalar property equals the value, or an array property contains it.
    return "(" + p + qop("@>") + "pg_catalog.jsonb_build_object(" + k + ", " + v + ") OR " + p + qop("@>") +
           "pg_catalog.jsonb_build_object(" + k + ", pg_catalog.jsonb_build_array(" + v + ")))";
}

// RushDB's $ne: some value of the property differs (an array with one
// other element matches; an absent property does not).
std::string Compiler::differs(Key& key, const JsonValue& value, const std::string& path) {
    if (value.is_string()) check_text(value.as_string(), path);
    const std::string k = key_param(key);
    const std::string v = param(ParamKind::jsonb, json::to_json(value), path);
    return any_value(k, std::string(kElementAlias) + ".v" + qop("<>") + v);
}

// Some datetime value of the property compares with the instant `iso`.
std::string Compiler::instant(Key& key, const char* sql_op, const std::string& iso, const std::string& path) {
    const std::string v = std::string(kElementAlias) + ".v";
    const std::string k = key_param(key);
    const std::string t = param(ParamKind::timestamptz, iso, path);
    if ((sql_op[0] == '<' || sql_op[0] == '>') && std::string_view(sql_op) != "<>" && range_indexed("instant", key))
        return one_sided(k, "instant", sql_op, t);
    // try_timestamptz is NULL for strings that are not datetimes, so they do not match.
    return any_value(k, "pg_catalog.jsonb_typeof(" + v + ")" + qop("=") + "'string' AND " + helper("try_timestamptz") +
                            "(" + v + qop("#>>") + "'{}')" + qop(sql_op) + t);
}

std::string Compiler::any_of(Key& key, const JsonValue& list, const std::string& op, const std::string& path) {
    if (!list.is_array())
        throw FilterError(path, op +
                                    " takes an array of strings, numbers, booleans, nulls or datetime component "
                                    "objects, not " +
                                    a_type(list.type()));
    const json::JsonArray& items = list.as_array();
    std::vector<std::string> parts;
    bool absent = false;  // null in the list: "the property is absent"
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string item_path = path_index(path, i);
        node(item_path);
        if (items[i].is_null()) {
            absent = true;
            continue;
        }
        if (std::optional<std::string> iso = datetime_operand(items[i], item_path)) {
            parts.push_back(instant(key, "=", *iso, item_path));
            continue;
        }
        if (!is_scalar(items[i]))
            throw FilterError(item_path, op +
                                             " values must be strings, numbers, booleans, null or datetime component "
                                             "objects, not " +
                                             a_type(items[i].type()));
        parts.push_back(equals(key, items[i], item_path));
    }
    // Nothing is in the empty set: $in [] is FALSE.
    const std::string in = combine(parts, false, path);
    if (op == "$in") return absent ? combine({in, negate(exists(key))}, false, path) : in;
    // $nin: present (RushDB: an absent property matches no $nin, null in
    // the list or not) and no value in the list.
    return parts.empty() ? exists(key) : combine({exists(key), negate(in)}, true, path);
}

std::string Compiler::compare(Key& key, const std::string& o, const JsonValue& operand, const std::string& path) {
    const char* sql_op = o == "$gt" ? ">" : o == "$gte" ? ">=" : o == "$lt" ? "<" : "<=";
    const std::string v = std::string(kElementAlias) + ".v";
    if (operand.is_number()) {
        const std::string k = key_param(key);
        const std::string n = param(ParamKind::numeric, operand.number_text(), path);
        if (range_indexed("number", key)) return one_sided(k, "number", sql_op, n);
        // CASE, not AND: SQL does not promise to test the type before the cast,
        // and casting a string jsonb to numeric raises an error.
        return any_value(k, "CASE WHEN pg_catalog.jsonb_typeof(" + v + ")" + qop("=") + "'number' THEN " + v +
                                "::pg_catalog.numeric" + qop(sql_op) + n + " ELSE FALSE END");
    }
    if (operand.is_string()) {
        const std::optional<std::string> iso = records::normalize_iso8601(operand.as_string());
        if (!iso)
            throw FilterError(path, o +
                                        " compares numbers or ISO-8601 datetimes, and this string is neither "
                                        "(datetimes are written " +
                                        kIsoForms + ")");
        return instant(key, sql_op, *iso, path);
    }
    if (std::optional<std::string> iso = datetime_operand(operand, path)) return instant(key, sql_op, *iso, path);
    throw FilterError(path,
                      o + " takes a number, an ISO-8601 datetime string or a datetime component object, not " +
                          (operand.is_object() ? std::string("an object of other keys") : a_type(operand.type())));
}

std::string Compiler::string_match(Key& key, const std::string& o, const JsonValue& operand, const std::string& path) {
    if (!operand.is_string()) throw FilterError(path, o + " takes a string, not " + a_type(operand.type()));
    const std::string k = key_param(key);
    const std::string s = text_param(operand.as_string(), path);
    const std::string v = std::string(kElementAlias) + ".v";
    const std::string text = "(" + v + qop("#>>") + "'{}')";
    std::string condition;
    if (o == "$contains") {
        // Case-insensitive as RushDB's (?i) regex is: ASCII letters only,
        // the same in every locale and collation.
        const auto fold = [](const std::string& x) {
            return "pg_catalog.translate(" + x + ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')";
        };
        condition = "pg_catalog.strpos(" + fold(text) + ", " + fold(s) + ")" + qop(">") + "0";
    } else if (o == "$startsWith") {
        condition = "pg_catalog.left(" + text + ", pg_catalog.length(" + s + "))" + qop("=") + s;
    } else {
        condition = "pg_catalog.right(" + text + ", pg_catalog.length(" + s + "))" + qop("=") + s;
    }
    return any_value(k, "pg_catalog.jsonb_typeof(" + v + ")" + qop("=") + "'string' AND " + condition);
}

// The type __proptypes records for the property ("null": absent).
std::string Compiler::type_is(Key& key, const JsonValue& operand, const std::string& path) {
    const bool known =
        operand.is_string() && std::find(kTypeNames.begin(), kTypeNames.end(), operand.as_string()) != kTypeNames.end();
    if (!known)
        throw FilterError(path, "$type takes \"string\", \"number\", \"boolean\", \"datetime\" or \"null\", not " +
                                    (operand.is_string() ? json::to_json(operand) : a_type(operand.type())));
    if (operand.as_string() == "null") return negate(exists(key));
    const std::string k = key_param(key);
    const std::string t = param(ParamKind::text, operand.as_string(), path);
    // Containment, not ->> and =: a missing key would make that NULL, and
    // every fragment must be TRUE or FALSE (NOT NULL is NULL).
    return "(" + options_.proptypes_expr + qop("@>") + "pg_catalog.jsonb_build_object(" + k + ", " + t + "))";
}

std::string Compiler::exists(Key& key) {
    const std::string k = key_param(key);
    const std::string& p = options_.properties_expr;
    return "(" + p + qop("?") + k + " AND pg_catalog.jsonb_typeof(" + p + qop("->") + k + ")" + qop("<>") + "'null')";
}

// Ranges on a property with a range index (CompileOptions::range_indexed;
// others test each value in an EXISTS, as equality does). A property's
// values (a value, or an array's elements) span the
// interval [least, greatest]; "some value is above a" is "greatest > a",
// "some value is below b" is "least < b", and both together ("some value
// > a and some value < b", each operator on its own as in RushDB) is, when
// a < b, exactly "[least, greatest] overlaps (a, b)". So every range
// condition is one overlap test of number_range / instant_range with a
// constant range: a GiST index on the expression serves it, and the
// planner estimates it from the range's bound histograms, where two
// separate comparisons would be estimated as independent (a thousandfold
// too many rows for a narrow window). The IS NOT NULL keeps the fragment
// two-valued when the property has no value of the type.
std::string Compiler::overlap(const std::string& k, const char* kind, const std::string& lower, bool lower_inclusive,
                              const std::string& upper, bool upper_inclusive) {
    const bool number = std::string_view(kind) == "number";
    const std::string x = helper(std::string(kind) + "_range") + "(" + options_.properties_expr + ", " + k + ")";
    const std::string none = number ? "NULL::pg_catalog.numeric" : "NULL::pg_catalog.timestamptz";
    const std::string flags = std::string("'") + (lower_inclusive ? "[" : "(") + (upper_inclusive ? "]" : ")") + "'";
    const std::string range = std::string(number ? "pg_catalog.numrange(" : "pg_catalog.tstzrange(") +
                              (lower.empty() ? none : lower) + ", " + (upper.empty() ? none : upper) + ", " + flags +
                              ")";
    return "(" + x + qop("&&") + range + " AND " + x + " IS NOT NULL)";
}

std::string Compiler::one_sided(const std::string& k, const char* kind, const char* sql_op,
                                const std::string& operand) {
    const bool inclusive = sql_op[1] == '=';
    if (sql_op[0] == '>') return overlap(k, kind, operand, inclusive, "", false);
    return overlap(k, kind, "", false, operand, inclusive);
}

// {"$gte": a, "$lt": b} on one property, both numbers or both datetimes:
// one overlap when the window is not empty (a < b, or a = b with both
// bounds inclusive), else the two bounds on their own ("some value > 9 and
// some value < 1" holds for [0, 10]). Which case applies is a comparison of
// the two parameters inside the SQL, so the text still depends on the
// filter's shape only; a custom plan folds it to one case, and the range is
// built from LEAST(a, b) so that folding never meets an inverted range.
// nullopt for other operator sets, which are compiled one by one.
std::optional<std::string> Compiler::two_sided(Key& k, const json::JsonObject& ops, const std::string& path,
                                               std::vector<bool>& done) {
    struct Bound {
        std::size_t index;
        bool inclusive;
        std::string text;  // numeric text or normalised ISO instant
    };
    std::optional<Bound> lower, upper;
    std::string kind;
    for (std::size_t i = 0; i < ops.size(); ++i) {
        const std::string& op = ops[i].key;
        if (op != "$gt" && op != "$gte" && op != "$lt" && op != "$lte") continue;
        const JsonValue& v = ops[i].value;
        std::string this_kind, text;
        if (v.is_number()) {
            this_kind = "number";
            text = v.number_text();
        } else {
            std::optional<std::string> iso =
                v.is_string() ? records::normalize_iso8601(v.as_string()) : datetime_operand(v, path_member(path, op));
            if (!iso) return std::nullopt;  // compare() reports it
            this_kind = "instant";
            text = *iso;
        }
        if (!kind.empty() && kind != this_kind) return std::nullopt;
        kind = this_kind;
        std::optional<Bound>& slot = op[1] == 'g' ? lower : upper;
        if (slot) return std::nullopt;  // two lower (or upper) bounds
        slot = Bound{i, op.size() == 4, text};
    }
    if (!lower || !upper || !range_indexed(kind.c_str(), k)) return std::nullopt;
    const ParamKind pk = kind == "number" ? ParamKind::numeric : ParamKind::timestamptz;
    const std::string lower_path = path_member(path, ops[lower->index].key);
    const std::string upper_path = path_member(path, ops[upper->index].key);
    node(lower_path);
    node(upper_path);
    const std::string key = key_param(k);
    const std::string lo = param(pk, lower->text, lower_path);
    const std::string hi = param(pk, upper->text, upper_path);
    done[lower->index] = done[upper->index] = true;
    const std::string window = "(" + lo + qop(lower->inclusive && upper->inclusive ? "<=" : "<") + hi + ")";
    const std::string least = "LEAST(" + lo + ", " + hi + ")";
    return "((" + window + " AND " + overlap(key, kind.c_str(), least, lower->inclusive, hi, upper->inclusive) +
           ") OR (NOT " + window + " AND " + overlap(key, kind.c_str(), lo, lower->inclusive, "", false) + " AND " +
           overlap(key, kind.c_str(), "", false, hi, upper->inclusive) + "))";
}

std::string Compiler::any_value(const std::string& k, const std::string& condition) {
    return "EXISTS (SELECT 1 FROM " + helper("prop_values") + "(" + options_.properties_expr + ", " + k + ") AS " +
           kElementAlias + "(v) WHERE " + condition + ")";
}

}  // namespace

CompiledFilter compile_where(const JsonValue& where, const CompileOptions& options) {
    check_options(options);
    Compiler compiler(options);
    CompiledFilter out;
    out.sql = compiler.filter(where, "where", 1);
    compiler.check_size(out.sql, "where");
    out.params = compiler.take_params();
    return out;
}

}  // namespace rushdb::filter
