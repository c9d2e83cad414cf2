#include "filter/where_compiler.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "records/property_types.hpp"

namespace rushdb::filter {

using json::JsonType;
using json::JsonValue;

const char* sql_type_name(ParamKind kind) noexcept {
    switch (kind) {
        case ParamKind::text: return "text";
        case ParamKind::numeric: return "numeric";
        case ParamKind::boolean: return "boolean";
        case ParamKind::jsonb: return "jsonb";
        case ParamKind::timestamptz: return "timestamptz";
    }
    return "text";
}

FilterError::FilterError(std::string path, std::string message)
    : std::runtime_error(path + ": " + message), path_(std::move(path)), message_(std::move(message)) {}

namespace {

constexpr const char* kPropertyOperators =
    "$ne, $gt, $gte, $lt, $lte, $in, $nin, $contains, $startsWith, $endsWith, $exists";
constexpr std::array<std::string_view, 11> kPropertyOperatorNames = {
    "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$contains", "$startsWith", "$endsWith", "$exists"};

bool is_property_operator(const std::string& key) {
    return std::find(kPropertyOperatorNames.begin(), kPropertyOperatorNames.end(), key) !=
           kPropertyOperatorNames.end();
}
constexpr const char* kIsoForms = "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM]";
// Range variable of the per-property subqueries (see CompileOptions).
constexpr const char* kElementAlias = "rushdb_e";

// ---------------------------------------------------------------------------
// Paths in error messages: where.age.$gt, where.$or[1].name, where["first name"]

bool is_plain_name(const std::string& key) {
    if (key.empty()) return false;
    for (std::size_t i = 0; i < key.size(); ++i) {
        const char c = key[i];
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
                        (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

std::string path_member(const std::string& path, const std::string& key) {
    if (is_plain_name(key)) return path + "." + key;
    if (json::is_valid_utf8(key)) return path + "[" + json::to_json(JsonValue::string(key)) + "]";
    // Not representable as a JSON string: show the bytes.
    static const char kHex[] = "0123456789abcdef";
    std::string shown;
    for (const char ch : key) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            shown += ch;
        } else {
            shown += "\\x";
            shown += kHex[c >> 4];
            shown += kHex[c & 0xF];
        }
    }
    return path + "[\"" + shown + "\"]";
}

std::string path_index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// "an object", "a string", ... for messages.
std::string a_type(JsonType t) {
    const std::string name = json::type_name(t);
    return (t == JsonType::array || t == JsonType::object ? "an " : "a ") + name;
}

bool is_scalar(const JsonValue& v) { return v.is_string() || v.is_number() || v.is_bool(); }

// ---------------------------------------------------------------------------
// Options

// properties_expr is spliced into the SQL, so it is held to the one shape the
// glue needs: dotted unquoted identifiers ("r.properties").
void check_properties_expr(const std::string& expr) {
    const auto bad = [&expr](const std::string& why) {
        throw std::invalid_argument("properties_expr \"" + expr + "\" " + why);
    };
    std::size_t parts = 0;
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = expr.find('.', start);
        const std::string part = expr.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (part.empty() || (part[0] >= '0' && part[0] <= '9'))
            bad("must be one to three dotted unquoted identifiers");
        std::string folded;  // as PostgreSQL folds an unquoted identifier
        for (const char c : part) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
            if (!ok) bad("must be one to three dotted unquoted identifiers");
            folded += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        }
        if (folded == kElementAlias) bad(std::string("must not use the name ") + kElementAlias + ", which the filter's subqueries use");
        if (++parts > 3) bad("must be one to three dotted unquoted identifiers");
        if (dot == std::string::npos) return;
        start = dot + 1;
    }
}

void check_options(const CompileOptions& options) {
    check_properties_expr(options.properties_expr);
    if (options.param_array < 0 || options.param_array > kMaxPlaceholder)
        throw std::invalid_argument("param_array must be 0 (no array) or between 1 and " +
                                    std::to_string(kMaxPlaceholder));
    if (options.param_array == 0 && (options.first_param < 1 || options.first_param > kMaxPlaceholder))
        throw std::invalid_argument("first_param must be between 1 and " + std::to_string(kMaxPlaceholder));
}

// Schema-qualified names, so the SQL does not depend on search_path.
std::string qop(const char* name) { return std::string(" OPERATOR(pg_catalog.") + name + ") "; }
std::string helper(const char* name) { return std::string(kHelperSchema) + "." + name; }

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

    std::string logical_list(const JsonValue& operand, const std::string& op, const std::string& path,
                             std::size_t depth);
    std::string property(const std::string& key, const JsonValue& value, const std::string& path);
    std::string property_operator(Key& key, const std::string& op, const JsonValue& operand,
                                  const std::string& path);

    std::string equals(Key& key, const JsonValue& value, const std::string& path);
    std::string any_of(Key& key, const JsonValue& list, const std::string& op, const std::string& path);
    std::string compare(Key& key, const std::string& op, const JsonValue& operand, const std::string& path);
    std::string string_match(Key& key, const std::string& op, const JsonValue& operand, const std::string& path);
    std::string exists(Key& key);
    // EXISTS over the property's values (key placeholder `k`), `condition` on rushdb_e.v.
    std::string any_value(const std::string& k, const std::string& condition);
    // join() of the parts, checked against max_sql_bytes.
    std::string combine(const std::vector<std::string>& parts, bool is_and, const std::string& path) const;

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
    if (depth > kMaxFilterDepth)
        throw FilterLimitError(FilterLimitError::Limit::depth, path,
                               "filters may nest at most " + std::to_string(kMaxFilterDepth) +
                                   " levels of $and / $or / $not; flatten the filter");
    node(path);
    std::vector<std::string> parts;
    for (const json::JsonMember& m : f.as_object()) {
        const std::string member_path = path_member(path, m.key);
        if (m.key.empty() || m.key[0] != '$') {
            parts.push_back(property(m.key, m.value, member_path));
        } else if (m.key == "$and" || m.key == "$or") {
            parts.push_back(logical_list(m.value, m.key, member_path, depth));
        } else if (m.key == "$not") {
            if (!m.value.is_object())
                throw FilterError(member_path, "$not takes one filter object, such as {\"$not\": {\"status\": "
                                               "\"archived\"}}, not " + a_type(m.value.type()));
            parts.push_back(negate(filter(m.value, member_path, depth + 1)));
        } else if (m.key == "$nor" || m.key == "$xor") {
            throw FilterError(member_path, m.key + " is not supported; the logical operators are $and, $or and "
                                           "$not (write {\"$not\": {\"$or\": [...]}} for $nor)");
        } else if (is_property_operator(m.key)) {
            throw FilterError(member_path, m.key + " applies to a property; write it inside one, such as "
                                           "{\"age\": {\"" + m.key + "\": ...}}");
        } else {
            throw FilterError(member_path, "unknown logical operator \"" + m.key +
                                           "\"; at this level use $and, $or, $not or a property name");
        }
    }
    return combine(parts, true, path);
}

std::string Compiler::logical_list(const JsonValue& operand, const std::string& op, const std::string& path,
                                   std::size_t depth) {
    if (!operand.is_array())
        throw FilterError(path, op + " takes an array of filter objects, such as {\"" + op +
                                    "\": [{\"a\": 1}, {\"b\": 2}]}, not " + a_type(operand.type()));
    const json::JsonArray& items = operand.as_array();
    if (items.empty()) throw FilterError(path, op + " needs at least one filter object");
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < items.size(); ++i) parts.push_back(filter(items[i], path_index(path, i), depth + 1));
    return combine(parts, op == "$and", path);
}

std::string Compiler::property(const std::string& key, const JsonValue& value, const std::string& path) {
    if (key == "__id" || key == "__label" || key == "__proptypes" || key == "__score" || key == "__vectors")
        throw FilterError(path, "\"" + key + "\" is a record field, not a property, and cannot be filtered "
                                "in where (select records by id or label with the search's own arguments)");
    // Writes refuse an empty name, so no record could match it.
    if (key.empty()) throw FilterError(path, "property names cannot be empty");
    check_text(key, path);
    Key k{key, path, {}};
    switch (value.type()) {
        case JsonType::string:
        case JsonType::number:
        case JsonType::boolean: node(path); return equals(k, value, path);
        case JsonType::null:
            throw FilterError(path, "null cannot be matched: a null property is unset; use {\"$exists\": false} "
                                    "to find records without it");
        case JsonType::array:
            throw FilterError(path, "an array is not a value to match; use {\"$in\": [...]} to match any of "
                                    "several values");
        case JsonType::object: break;
    }
    const json::JsonObject& ops = value.as_object();
    if (ops.empty())
        throw FilterError(path, "an operator object needs at least one operator (" + std::string(kPropertyOperators) +
                                    ")");
    std::vector<std::string> parts;
    for (const json::JsonMember& m : ops) {
        const std::string op_path = path_member(path, m.key);
        if (m.key.empty() || m.key[0] != '$')
            throw FilterError(op_path, "RushDB properties are flat: a property's filter is a value or an object "
                                       "of operators (" + std::string(kPropertyOperators) +
                                       "); nested objects and related-record filters are not supported");
        node(op_path);
        parts.push_back(property_operator(k, m.key, m.value, op_path));
    }
    return combine(parts, true, path);
}

std::string Compiler::property_operator(Key& key, const std::string& op, const JsonValue& operand,
                                        const std::string& path) {
    if (op == "$ne") {
        if (!is_scalar(operand)) {
            if (operand.is_null())
                throw FilterError(path, "$ne takes a string, number or boolean; use {\"$exists\": true} to find "
                                        "records that have the property");
            throw FilterError(path, "$ne takes a string, number or boolean, not " + a_type(operand.type()));
        }
        return negate(equals(key, operand, path));
    }
    if (op == "$gt" || op == "$gte" || op == "$lt" || op == "$lte") return compare(key, op, operand, path);
    if (op == "$in" || op == "$nin") return any_of(key, operand, op, path);
    if (op == "$contains" || op == "$startsWith" || op == "$endsWith")
        return string_match(key, op, operand, path);
    if (op == "$exists") {
        if (!operand.is_bool()) throw FilterError(path, "$exists takes true or false, not " + a_type(operand.type()));
        return operand.as_bool() ? exists(key) : negate(exists(key));
    }
    if (op == "$not")
        throw FilterError(path, "$not negates a whole filter; write it around the property, such as "
                                "{\"$not\": {\"age\": {\"$gt\": 65}}}");
    if (op == "$and" || op == "$or")
        throw FilterError(path, op + " combines whole filters; write it around the property, such as {\"" + op +
                                    "\": [{\"age\": {\"$lt\": 18}}, {\"age\": {\"$gt\": 65}}]}");
    throw FilterError(path, "unsupported operator \"" + op + "\"; the property operators are " + kPropertyOperators);
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

std::string Compiler::any_of(Key& key, const JsonValue& list, const std::string& op, const std::string& path) {
    if (!list.is_array())
        throw FilterError(path, op + " takes an array of strings, numbers or booleans, not " + a_type(list.type()));
    const json::JsonArray& items = list.as_array();
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string item_path = path_index(path, i);
        if (!is_scalar(items[i]))
            throw FilterError(item_path, op + " values must be strings, numbers or booleans, not " +
                                             a_type(items[i].type()));
        node(item_path);
        parts.push_back(equals(key, items[i], item_path));
    }
    // Nothing is in the empty set: $in [] is FALSE, $nin [] is TRUE.
    const std::string in = combine(parts, false, path);
    if (op == "$in") return in;
    return parts.empty() ? "TRUE" : negate(in);
}

std::string Compiler::compare(Key& key, const std::string& o, const JsonValue& operand, const std::string& path) {
    const char* sql_op = o == "$gt" ? ">" : o == "$gte" ? ">=" : o == "$lt" ? "<" : "<=";
    const std::string v = std::string(kElementAlias) + ".v";
    if (operand.is_number()) {
        const std::string k = key_param(key);
        const std::string n = param(ParamKind::numeric, operand.number_text(), path);
        // CASE, not AND: SQL does not promise to test the type before the cast,
        // and casting a string jsonb to numeric raises an error.
        return any_value(k, "CASE WHEN pg_catalog.jsonb_typeof(" + v + ")" + qop("=") + "'number' THEN " + v +
                                "::pg_catalog.numeric" + qop(sql_op) + n + " ELSE FALSE END");
    }
    if (operand.is_string()) {
        const std::optional<std::string> instant = records::normalize_iso8601(operand.as_string());
        if (!instant)
            throw FilterError(path, o + " compares numbers or ISO-8601 datetimes, and this string is neither "
                                        "(datetimes are written " + kIsoForms + ")");
        const std::string k = key_param(key);
        const std::string t = param(ParamKind::timestamptz, *instant, path);
        // try_timestamptz is NULL for strings that are not datetimes, so they do not match.
        return any_value(k, "pg_catalog.jsonb_typeof(" + v + ")" + qop("=") + "'string' AND " +
                                helper("try_timestamptz") + "(" + v + qop("#>>") + "'{}')" + qop(sql_op) + t);
    }
    throw FilterError(path, o + " takes a number or an ISO-8601 datetime string, not " + a_type(operand.type()));
}

std::string Compiler::string_match(Key& key, const std::string& o, const JsonValue& operand,
                                   const std::string& path) {
    if (!operand.is_string()) throw FilterError(path, o + " takes a string, not " + a_type(operand.type()));
    const std::string k = key_param(key);
    const std::string s = text_param(operand.as_string(), path);
    const std::string v = std::string(kElementAlias) + ".v";
    const std::string text = "(" + v + qop("#>>") + "'{}')";
    std::string condition;
    if (o == "$contains") condition = "pg_catalog.strpos(" + text + ", " + s + ")" + qop(">") + "0";
    else if (o == "$startsWith")
        condition = "pg_catalog.left(" + text + ", pg_catalog.length(" + s + "))" + qop("=") + s;
    else condition = "pg_catalog.right(" + text + ", pg_catalog.length(" + s + "))" + qop("=") + s;
    return any_value(k, "pg_catalog.jsonb_typeof(" + v + ")" + qop("=") + "'string' AND " + condition);
}

std::string Compiler::exists(Key& key) {
    const std::string k = key_param(key);
    const std::string& p = options_.properties_expr;
    return "(" + p + qop("?") + k + " AND pg_catalog.jsonb_typeof(" + p + qop("->") + k + ")" + qop("<>") + "'null')";
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
