#include "query/find_compiler.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "json/json_path.hpp"

namespace rushdb::query {

using json::a_type;
using json::JsonValue;
using json::path_index;
using json::path_member;

FindError::FindError(std::string path, std::string message)
    : std::runtime_error(path + ": " + message), path_(std::move(path)), message_(std::move(message)) {}

const std::vector<std::string>& find_keys() {
    static const std::vector<std::string> keys = {"labels", "where",  "orderBy",   "skip",
                                                  "limit",  "select", "aggregate", "groupBy"};
    return keys;
}

namespace {

std::string qop(const char* op) { return std::string(" OPERATOR(pg_catalog.") + op + ") "; }

constexpr const char* kRecordAlias = "$record";
constexpr const char* kEmptyArray = "'[]'::pg_catalog.jsonb";

// Units of $timeBucket; the plural ones take a size.
const std::vector<std::string>& bucket_units() {
    static const std::vector<std::string> units = {"day",    "week",   "month", "quarter", "year",    "hour", "minute",
                                                   "second", "months", "hours", "minutes", "seconds", "years"};
    return units;
}
bool plural_unit(const std::string& u) {
    return u == "months" || u == "hours" || u == "minutes" || u == "seconds" || u == "years";
}

// A whole number in [lo, hi], or a FindError.
long long whole_number(const JsonValue& v, long long lo, long long hi, const std::string& path,
                       const std::string& what) {
    const bool ok = v.is_number() && std::isfinite(v.as_number()) && std::floor(v.as_number()) == v.as_number() &&
                    v.as_number() >= static_cast<double>(lo) && v.as_number() <= static_cast<double>(hi);
    if (!ok)
        throw FindError(path, what + " must be a whole number from " + std::to_string(lo) + " to " +
                                  std::to_string(hi) + ", not " + (v.is_number() ? v.number_text() : a_type(v.type())));
    return static_cast<long long>(v.as_number());
}

// Refuses members of `obj` outside `accepted`.
void check_members(const JsonValue& obj, const std::vector<std::string>& accepted, const std::string& path) {
    for (const auto& m : obj.as_object()) {
        if (std::find(accepted.begin(), accepted.end(), m.key) != accepted.end()) continue;
        std::string list;
        for (const auto& a : accepted) list += (list.empty() ? "" : ", ") + a;
        throw FindError(path_member(path, m.key), "unknown key; accepted here: " + list);
    }
}

// 'asc' / 'desc' (any case, as RushDB upper-cases them) -> "ASC" / "DESC".
std::string direction(const JsonValue& v, const std::string& path) {
    if (v.is_string()) {
        std::string d = v.as_string();
        std::transform(d.begin(), d.end(), d.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (d == "asc") return "ASC";
        if (d == "desc") return "DESC";
    }
    throw FindError(
        path, "a sort direction is \"asc\" or \"desc\", not " + (v.is_string() ? json::to_json(v) : a_type(v.type())));
}

// A compiled select expression.
struct Value {
    enum class Kind { json, number };
    std::string sql;
    Kind kind = Kind::json;
    bool aggregate = false;   // holds an aggregate function (grouped mode)
    bool bare_field = false;  // reads a record field outside any aggregate
    std::string type_sql;     // a field reference's __proptypes entry, else empty
    std::string order_sql;    // grouped $min / $max: the sort key the value came from
    std::size_t height = 1;   // levels of the expression, through $ref
};

std::string as_number(const Value& v) {
    if (v.kind == Value::Kind::number) return "(" + v.sql + ")::pg_catalog.numeric";
    return "(CASE WHEN pg_catalog.jsonb_typeof(" + v.sql + ")" + qop("=") + "'number' THEN (" + v.sql +
           ")::pg_catalog.numeric END)";
}
std::string as_json(const Value& v) {
    if (v.kind == Value::Kind::json) return v.sql;
    return "pg_catalog.to_jsonb(" + v.sql + ")";
}
std::string sort_key(const std::string& json_sql, const std::string& type_sql) {
    return "rushdb_internal.sort_key(" + json_sql + ", " + (type_sql.empty() ? "NULL::pg_catalog.text" : type_sql) +
           ")";
}

// A $collect, compiled once the grouping is known.
struct CollectSpec {
    std::string key;
    std::vector<std::pair<std::string, std::string>> select;  // output key param, field name ("" = whole record)
    std::vector<std::pair<std::string, std::string>> order;   // field name, direction
    long long limit = kDefaultLimit;
    long long skip = 0;
    bool unique = true;
    bool projected = false;
};

class Compiler {
public:
    explicit Compiler(const FindOptions& options) : o_(options) {}

    FindQuery run(const JsonValue& q);

private:
    std::string param(const std::string& text) {
        params_.push_back(text);
        const std::size_t n = o_.filter_params + params_.size();
        if (n > 65535)
            throw FindLimitError("find",
                                 "the request needs more parameters than PostgreSQL allows in one statement "
                                 "(65535); use fewer select keys, labels or values");
        return "$" + std::to_string(n);
    }

    // Field references
    std::string field_name(const std::string& ref, const std::string& path, bool allow_bare) const;
    // An orderBy key: a property name, __id, a select key, or RushDB's
    // "$record.name" spelling of a property.
    std::string order_key_name(const std::string& key, const std::string& path) const {
        if (!key.empty() && key[0] == '$') return field_name(key, path, false);
        if (key.compare(0, 2, "__") == 0 && key != "__id")
            throw FindError(path, "of the record's own fields only __id orders records");
        return key;
    }
    std::string field_sql(const std::string& alias, const std::string& name) {
        if (name == "__id") return "pg_catalog.to_jsonb(" + alias + ".id)";
        if (name == "__label") return "pg_catalog.to_jsonb(" + alias + ".label)";
        return "(" + alias + ".properties" + qop("->") + param(name) + ")";
    }
    std::string field_type(const std::string& alias, const std::string& name) {
        if (name == "__id" || name == "__label") return "";
        return "(" + alias + ".proptypes" + qop("->>") + param(name) + ")";
    }
    Value field(const std::string& alias, const std::string& name) {
        Value v;
        v.sql = field_sql(alias, name);
        v.type_sql = field_type(alias, name);
        v.bare_field = true;
        return v;
    }

    void parse_select(const JsonValue& q);
    JsonValue legacy_aggregate(const JsonValue& aggregate);
    Value expr(const JsonValue& e, const std::string& path, std::size_t depth, const std::string& alias,
               bool in_aggregate);
    Value expr_unchecked(const JsonValue& e, const std::string& path, std::size_t depth, const std::string& alias,
                         bool in_aggregate);
    Value select_value(const std::string& key, const std::string& alias, std::size_t depth = 1);
    // `path` locates the expression object `whole`, `op` its operator.
    Value aggregate_of(const std::string& op, const JsonValue& e, const JsonValue& whole, const std::string& path,
                       std::size_t depth, const std::string& alias);
    Value time_bucket(const JsonValue& spec, const std::string& path, const std::string& alias);
    CollectSpec collect(const std::string& key, const JsonValue& spec, const std::string& path);
    std::string projection(const CollectSpec& c, const std::string& alias);
    std::string collect_per_row(const CollectSpec& c, const std::string& alias);
    std::string collect_grouped(const CollectSpec& c);

    std::string base_where(const std::string& alias, const std::string& filter) const {
        // One label is an equality, so the (label, ...) indexes give order.
        if (labels_sql_.empty()) return "(" + filter + ")";
        if (labels_ == 1) return "(" + alias + ".label" + qop("=") + labels_sql_ + ") AND (" + filter + ")";
        return "(" + alias + ".label" + qop("=") + "ANY (ARRAY[" + labels_sql_ + "]::pg_catalog.text[])) AND (" +
               filter + ")";
    }
    std::string per_row_query();
    std::string grouped_query();

    const FindOptions& o_;
    std::vector<std::string> params_;
    std::string labels_sql_;
    std::size_t labels_ = 0;
    long long limit_ = kDefaultLimit;
    long long skip_ = 0;
    // select keys in the order written, their expressions, and the compiled
    // values (over r) once known.
    std::vector<std::string> keys_;
    std::map<std::string, JsonValue> exprs_;
    std::map<std::pair<std::string, std::string>, Value> values_;  // (key, alias)
    std::set<std::string> visiting_;
    std::map<std::string, CollectSpec> collects_;
    std::vector<std::string> key_params_;  // the param of each select key, by position in keys_
    const JsonValue* order_by_ = nullptr;
    std::vector<std::string> group_by_;

    // Grouped mode: grouping columns.
    struct Dim {
        std::string out_key;  // the output key ("status" for "$record.status", or a select key)
        std::string sql_r;    // the value over r (jsonb)
        std::string sql_c;    // the same over c, for $collect
        std::string type_r;   // its __proptypes entry aggregated over the group, or ""
    };
    std::vector<Dim> dims_;
};

// "$record.name" -> "name" ("__id" for "$record.__id"); "" for "$record"
// when allowed.
std::string Compiler::field_name(const std::string& ref, const std::string& path, bool allow_bare) const {
    if (ref == kRecordAlias) {
        if (allow_bare) return "";
        throw FindError(path, "\"$record\" alone is the whole record; name a field, as in \"$record.name\"");
    }
    const std::string prefix = std::string(kRecordAlias) + ".";
    if (ref.compare(0, prefix.size(), prefix) == 0 && ref.size() > prefix.size()) {
        std::string name = ref.substr(prefix.size());
        if (name.compare(0, 2, "__") == 0 && name != "__id" && name != "__label")
            throw FindError(path, "of the record's own fields only __id and __label can be read here, not " +
                                      json::to_json(JsonValue::string(name)));
        return name;
    }
    if (!ref.empty() && ref[0] == '$')
        throw FindError(path,
                        "only the root record (\"$record\") can be referenced here: aliases of related "
                        "records need relationships, which are not available yet (" +
                            json::to_json(JsonValue::string(ref)) + ")");
    throw FindError(path, "a string here is a field reference such as \"$record.name\", not " +
                              json::to_json(JsonValue::string(ref)));
}

JsonValue Compiler::legacy_aggregate(const JsonValue& aggregate) {
    // The deprecated aggregate DSL, as the select expression it stands for.
    JsonValue select = JsonValue::object();
    for (const auto& m : aggregate.as_object()) {
        const std::string path = path_member("aggregate", m.key);
        if (m.value.is_string()) {
            select.add(m.key, m.value);
            continue;
        }
        if (!m.value.is_object())
            throw FindError(path, "an aggregate is a field reference or an object {fn, field, alias}, not " +
                                      a_type(m.value.type()));
        const JsonValue* fn = m.value.find("fn");
        if (fn == nullptr || !fn->is_string())
            throw FindError(path, "\"fn\" (sum, avg, min, max, count, collect or timeBucket) is required");
        const std::string f = fn->as_string();
        const JsonValue* alias = m.value.find("alias");
        if (alias != nullptr && !(alias->is_string() && alias->as_string() == kRecordAlias))
            throw FindError(path_member(path, "alias"), "only \"$record\" is available (relationships are not yet)");
        const JsonValue* fieldv = m.value.find("field");
        if (fieldv != nullptr && (!fieldv->is_string() || fieldv->as_string().empty()))
            throw FindError(path_member(path, "field"), "\"field\" must be a property name");
        const std::string ref = fieldv ? std::string(kRecordAlias) + "." + fieldv->as_string() : "";
        JsonValue e = JsonValue::object();
        if (f == "sum" || f == "min" || f == "max" || f == "avg") {
            check_members(m.value,
                          f == "avg" ? std::vector<std::string>{"fn", "field", "alias", "precision"}
                                     : std::vector<std::string>{"fn", "field", "alias"},
                          path);
            if (ref.empty()) throw FindError(path, "\"field\" is required for " + f);
            e.add("$" + f, JsonValue::string(ref));
            if (const JsonValue* p = m.value.find("precision")) e.add("$precision", *p);
        } else if (f == "count") {
            check_members(m.value, {"fn", "field", "alias", "unique"}, path);
            if (const JsonValue* u = m.value.find("unique"); u && !(u->is_bool() && u->as_bool()))
                throw FindError(path_member(path, "unique"),
                                "counts are always of distinct values; use select with $count");
            e.add("$count", JsonValue::string(ref.empty() ? "*" : ref));
        } else if (f == "collect") {
            check_members(m.value, {"fn", "alias", "orderBy", "limit", "skip", "unique"}, path);
            JsonValue c = JsonValue::object();
            c.add("from", JsonValue::string(kRecordAlias));
            for (const char* k : {"orderBy", "limit", "skip", "unique"})
                if (const JsonValue* v = m.value.find(k)) c.add(k, *v);
            e.add("$collect", std::move(c));
        } else if (f == "timeBucket") {
            check_members(m.value, {"fn", "field", "alias", "granularity", "size"}, path);
            if (ref.empty()) throw FindError(path, "\"field\" is required for timeBucket");
            JsonValue t = JsonValue::object();
            t.add("field", JsonValue::string(ref));
            if (const JsonValue* g = m.value.find("granularity")) t.add("unit", *g);
            if (const JsonValue* s = m.value.find("size")) t.add("size", *s);
            e.add("$timeBucket", std::move(t));
        } else if (f == "vector.similarity.cosine" || f == "vector.similarity.euclidean") {
            throw FindError(path_member(path, "fn"),
                            "vector similarity is rushdb.search's job: search an embedding "
                            "index with queryVector (its __score is the similarity)");
        } else {
            throw FindError(path_member(path, "fn"), "unknown aggregate function " + json::to_json(*fn) +
                                                         "; accepted: sum, avg, min, max, count, collect, timeBucket");
        }
        select.add(m.key, std::move(e));
    }
    return select;
}

void Compiler::parse_select(const JsonValue& q) {
    const JsonValue* select = q.find("select");
    const JsonValue* aggregate = q.find("aggregate");
    const auto non_empty = [](const JsonValue* v) { return v && v->is_object() && !v->as_object().empty(); };
    for (const auto& [v, name] : {std::pair{select, "select"}, std::pair{aggregate, "aggregate"}})
        if (v && !v->is_object())
            throw FindError(name, std::string("\"") + name + "\" must be an object, not " + a_type(v->type()));
    if (non_empty(select) && non_empty(aggregate))
        throw FindError("select", "give \"select\" or the deprecated \"aggregate\", not both");
    JsonValue legacy;
    const JsonValue* map = select;
    if (non_empty(aggregate)) {
        legacy = legacy_aggregate(*aggregate);
        map = &legacy;
    }
    if (!non_empty(map)) return;
    if (map->as_object().size() > kMaxSelectKeys)
        throw FindError("select", "at most " + std::to_string(kMaxSelectKeys) + " keys");
    for (const auto& m : map->as_object()) {
        if (m.key.empty() || m.key.compare(0, 2, "__") == 0)
            throw FindError(path_member("select", m.key),
                            "a select key must be non-empty and must not start with "
                            "\"__\" (the record's own __id, __label, __proptypes)");
        keys_.push_back(m.key);
        exprs_.emplace(m.key, m.value);
    }
}

// The value of select key `key` over `alias`, compiled once per alias;
// `depth` counts the levels of the expression that refers to it, so a $ref
// chain is held to kMaxExprDepth like a nested expression.
Value Compiler::select_value(const std::string& key, const std::string& alias, std::size_t depth) {
    auto it = values_.find({key, alias});
    if (it != values_.end()) return it->second;
    if (visiting_.count(key) != 0) throw FindError(path_member("select", key), "circular $ref");
    visiting_.insert(key);
    Value v = expr(exprs_.at(key), path_member("select", key), depth, alias, false);
    visiting_.erase(key);
    values_.emplace(std::make_pair(key, alias), v);
    return v;
}

Value Compiler::expr(const JsonValue& e, const std::string& path, std::size_t depth, const std::string& alias,
                     bool in_aggregate) {
    Value v = expr_unchecked(e, path, depth, alias, in_aggregate);
    if (v.sql.size() > kMaxSqlBytes)
        throw FindLimitError(path, "the expression compiles to more than " + std::to_string(kMaxSqlBytes / 1024) +
                                       " kB of SQL (a $ref repeated at each level doubles it); simplify it");
    return v;
}

Value Compiler::expr_unchecked(const JsonValue& e, const std::string& path, std::size_t depth, const std::string& alias,
                               bool in_aggregate) {
    if (depth > kMaxExprDepth) throw FindError(path, "expression nested too deeply (through $ref too)");
    if (e.is_string()) return field(alias, field_name(e.as_string(), path, false));
    if (e.is_number()) {
        Value v;
        v.kind = Value::Kind::number;
        v.sql = param(e.number_text()) + "::pg_catalog.numeric";
        return v;
    }
    if (e.is_bool()) {
        Value v;
        v.sql = e.as_bool() ? "'true'::pg_catalog.jsonb" : "'false'::pg_catalog.jsonb";
        return v;
    }
    if (!e.is_object() || e.as_object().empty())
        throw FindError(path,
                        "a select expression is a field reference (\"$record.name\"), a number, a boolean or "
                        "an operator object such as {\"$sum\": \"$record.amount\"}, not " +
                            (e.is_object() ? std::string("an empty object") : a_type(e.type())));
    const std::string& op = e.as_object().front().key;
    const JsonValue& operand = e.as_object().front().value;
    const std::string p = path_member(path, op);
    if (op == "$avg") {
        check_members(e, {"$avg", "$precision"}, path);
    } else if (e.as_object().size() != 1) {
        throw FindError(path, "an expression object holds exactly one operator");
    }
    if (op == "$ref") {
        if (!operand.is_string() || exprs_.count(operand.as_string()) == 0)
            throw FindError(p, "$ref names another key of the same select");
        Value v = select_value(operand.as_string(), alias, depth + 1);
        // A cached key was compiled at its own level: add its height here.
        if (depth + v.height > kMaxExprDepth) throw FindError(p, "expression nested too deeply (through $ref too)");
        ++v.height;
        if (in_aggregate && v.aggregate)
            throw FindError(p, "an aggregate of an aggregate: reference the aggregated key outside $sum/$avg/...");
        return v;
    }
    if (op == "$sum" || op == "$avg" || op == "$count" || op == "$min" || op == "$max") {
        if (in_aggregate) throw FindError(p, "aggregates cannot be nested");
        return aggregate_of(op, operand, e, path, depth, alias);
    }
    if (op == "$add" || op == "$subtract" || op == "$multiply" || op == "$divide") {
        if (!operand.is_array() || operand.as_array().size() != 2)
            throw FindError(p, op + " takes an array of two expressions");
        Value a = expr(operand.as_array()[0], path_index(p, 0), depth + 1, alias, in_aggregate);
        Value b = expr(operand.as_array()[1], path_index(p, 1), depth + 1, alias, in_aggregate);
        Value v;
        v.kind = Value::Kind::number;
        v.aggregate = a.aggregate || b.aggregate;
        v.bare_field = a.bare_field || b.bare_field;
        v.height = 1 + std::max(a.height, b.height);
        if (op == "$divide") {
            // Division as JavaScript does it (a double); by zero it is null.
            v.sql = "((" + as_number(a) + ")::pg_catalog.float8" + qop("/") + "NULLIF((" + as_number(b) +
                    ")::pg_catalog.float8, 0::pg_catalog.float8))";
        } else {
            const char* sql_op = op == "$add" ? "+" : op == "$subtract" ? "-" : "*";
            v.sql = "(" + as_number(a) + qop(sql_op) + as_number(b) + ")";
        }
        return v;
    }
    if (op == "$timeBucket") return time_bucket(operand, p, alias);
    if (op == "$collect") throw FindError(p, "$collect is a select key's whole expression, not part of one");
    throw FindError(p,
                    "unknown select operator; accepted: $sum, $avg, $count, $min, $max, $add, $subtract, "
                    "$multiply, $divide, $ref, $collect, $timeBucket");
}

// Grouped mode aggregates; per-row mode (no groupBy) evaluates the same
// function over the one record of each row, as RushDB's per-record
// aggregation over $record does.
Value Compiler::aggregate_of(const std::string& op, const JsonValue& e, const JsonValue& whole, const std::string& path,
                             std::size_t depth, const std::string& alias) {
    const bool grouped = !group_by_.empty();
    Value v;
    v.aggregate = grouped;
    if (op == "$count" && e.is_string() && (e.as_string() == "*" || e.as_string() == kRecordAlias)) {
        v.kind = Value::Kind::number;
        v.sql = grouped ? "pg_catalog.count(*)" : "1::pg_catalog.int8";
        return v;
    }
    Value inner = expr(e, path_member(path, op), depth + 1, alias, true);
    v.height = 1 + inner.height;
    if (op == "$count") {
        const std::string x = "NULLIF(" + as_json(inner) + ", 'null'::pg_catalog.jsonb)";
        v.kind = Value::Kind::number;
        v.sql = grouped ? "pg_catalog.count(DISTINCT " + x + ")"
                        : "(CASE WHEN " + x + " IS NULL THEN 0 ELSE 1 END)::pg_catalog.int8";
        return v;
    }
    if (op == "$sum") {
        v.kind = Value::Kind::number;
        v.sql = "COALESCE(" + std::string(grouped ? "pg_catalog.sum(" : "(") + as_number(inner) +
                "), 0::pg_catalog.numeric)";
        return v;
    }
    if (op == "$avg") {
        v.kind = Value::Kind::number;
        const std::string avg = grouped ? "pg_catalog.avg(" + as_number(inner) + ")" : as_number(inner);
        if (const JsonValue* precision = whole.find("$precision")) {
            const long long digits = whole_number(*precision, 0, 15, path_member(path, "$precision"), "$precision");
            v.sql = "pg_catalog.round(" + avg + ", " + std::to_string(digits) + ")";
        } else {
            v.sql = "(" + avg + ")::pg_catalog.float8";
        }
        return v;
    }
    // $min / $max: in the order orderBy uses, returning the value itself.
    const std::string key = sort_key(as_json(inner), inner.type_sql);
    v.kind = Value::Kind::json;
    if (grouped) {
        v.order_sql = "rushdb_internal." + std::string(op == "$min" ? "min" : "max") + "_value(" + key + ")";
        v.sql = "(" + v.order_sql + qop("->") + "2)";
    } else {
        v.sql = as_json(inner);
        v.type_sql = inner.type_sql;  // the record's own value, ordered as its type
    }
    return v;
}

Value Compiler::time_bucket(const JsonValue& spec, const std::string& path, const std::string& alias) {
    if (!spec.is_object()) throw FindError(path, "$timeBucket takes {field, unit[, size]}");
    check_members(spec, {"field", "unit", "size"}, path);
    const JsonValue* f = spec.find("field");
    const JsonValue* u = spec.find("unit");
    if (f == nullptr || !f->is_string())
        throw FindError(path_member(path, "field"), "a field reference such as \"$record.createdAt\" is required");
    const std::string name = field_name(f->as_string(), path_member(path, "field"), false);
    const auto& units = bucket_units();
    auto it = u && u->is_string() ? std::find(units.begin(), units.end(), u->as_string()) : units.end();
    if (it == units.end()) {
        std::string list;
        for (const auto& x : units) list += (list.empty() ? "" : ", ") + x;
        throw FindError(path_member(path, "unit"), "unit must be one of " + list);
    }
    long long size = 1;
    const JsonValue* s = spec.find("size");
    if (plural_unit(*it)) {
        if (s == nullptr)
            throw FindError(path_member(path, "size"),
                            "size (a whole number of " + *it + ") is required with unit \"" + *it + "\"");
        size = whole_number(*s, 1, 1000000, path_member(path, "size"), "size");
    } else if (s != nullptr) {
        throw FindError(path_member(path, "size"),
                        "size goes with the plural units (months, hours, minutes, "
                        "seconds, years); \"" +
                            *it + "\" is one " + *it);
    }
    Value v;
    v.kind = Value::Kind::number;
    v.bare_field = true;
    // Only values __proptypes calls datetimes are bucketed, as in RushDB.
    // *it is this file's own spelling of the unit, not the caller's text.
    v.sql = "rushdb_internal.time_bucket(CASE WHEN " + field_type(alias, name) + qop("=") + "'datetime' THEN (" +
            alias + ".properties" + qop("->>") + param(name) + ") END, '" + *it + "', " + std::to_string(size) + ")";
    return v;
}

CollectSpec Compiler::collect(const std::string& key, const JsonValue& spec, const std::string& path) {
    if (!spec.is_object()) throw FindError(path, "$collect takes {from, select, orderBy, limit, skip, unique}");
    if (spec.find("label") != nullptr || spec.find("where") != nullptr)
        throw FindError(path,
                        "$collect with \"label\" traverses related records, which need relationships (not "
                        "available yet); collect the group's own records with {\"from\": \"$record\"}");
    check_members(spec, {"from", "select", "orderBy", "limit", "skip", "unique"}, path);
    CollectSpec c;
    c.key = key;
    const JsonValue* from = spec.find("from");
    if (from == nullptr || !from->is_string())
        throw FindError(path_member(path, "from"), "\"from\" (\"$record\") is required");
    (void)field_name(from->as_string(), path_member(path, "from"), true);
    if (from->as_string() != kRecordAlias)
        throw FindError(path_member(path, "from"), "\"from\" takes an alias: \"$record\"");
    if (const JsonValue* sel = spec.find("select")) {
        if (!sel->is_object() || sel->as_object().empty())
            throw FindError(path_member(path, "select"), "select must be an object of field references");
        c.projected = true;
        for (const auto& m : sel->as_object()) {
            const std::string p = path_member(path_member(path, "select"), m.key);
            if (!m.value.is_string())
                throw FindError(p, "select inside $collect takes field references such as \"$record.name\"");
            c.select.emplace_back(m.key, field_name(m.value.as_string(), p, false));
        }
    }
    if (const JsonValue* ob = spec.find("orderBy")) {
        const std::string p = path_member(path, "orderBy");
        if (ob->is_string()) {
            c.order.emplace_back("__id", direction(*ob, p));
        } else if (ob->is_object()) {
            for (const auto& m : ob->as_object()) {
                std::string f = order_key_name(m.key, path_member(p, m.key));
                // With a projection, its keys name the fields they hold.
                for (const auto& s : c.select)
                    if (s.first == m.key) f = s.second;
                c.order.emplace_back(f, direction(m.value, path_member(p, m.key)));
            }
        } else {
            throw FindError(p, "orderBy is \"asc\", \"desc\" or {field: direction}");
        }
    }
    if (const JsonValue* l = spec.find("limit"))
        c.limit = whole_number(*l, 1, kMaxLimit, path_member(path, "limit"), "limit");
    if (const JsonValue* s = spec.find("skip"))
        c.skip = whole_number(*s, 0, 2147483647, path_member(path, "skip"), "skip");
    if (const JsonValue* u = spec.find("unique")) {
        if (!u->is_bool()) throw FindError(path_member(path, "unique"), "unique is true or false");
        c.unique = u->as_bool();
    }
    return c;
}

std::string Compiler::projection(const CollectSpec& c, const std::string& alias) {
    if (!c.projected) return "rushdb_internal.record_json(" + alias + ")";
    std::string sql;
    for (const auto& [k, f] : c.select)
        sql += (sql.empty() ? "" : qop("||")) + "pg_catalog.jsonb_build_object(" + param(k) + ", " +
               field_sql(alias, f) + ")";
    return "(" + sql + ")";
}

std::string Compiler::collect_per_row(const CollectSpec& c, const std::string& alias) {
    // The row's one record, or nothing past it.
    if (c.skip > 0) return kEmptyArray;
    return "pg_catalog.jsonb_build_array(" + projection(c, alias) + ")";
}

std::string Compiler::collect_grouped(const CollectSpec& c) {
    // The group's records: the same labels and filter, the group's values.
    std::string where = base_where("c", o_.filter_c);
    for (std::size_t i = 0; i < dims_.size(); ++i)
        where += " AND (" + dims_[i].sql_c + " IS NOT DISTINCT FROM g.d" + std::to_string(i + 1) + ")";
    std::string cols = projection(c, "c") + " AS j";
    std::string order_inner, order_outer;
    std::size_t n = 0;
    bool by_id = false;
    for (const auto& [f, dir] : c.order) {
        const std::string col = "o" + std::to_string(++n);
        if (f == "__id") {
            cols += ", c.id AS " + col;
            by_id = true;
        } else {
            cols += ", " + sort_key(field_sql("c", f), field_type("c", f)) + " AS " + col;
        }
        order_inner += (order_inner.empty() ? "" : ", ") + col + " " + dir;
    }
    if (!by_id) {
        cols += ", c.id AS oid";
        order_inner += std::string(order_inner.empty() ? "" : ", ") + "oid DESC";
    }
    order_outer = order_inner;
    std::string rows = "SELECT " + cols + " FROM rushdb.records c WHERE " + where;
    if (c.unique && c.projected) {
        // Equal projections once, each where it first comes in the order.
        rows = "SELECT DISTINCT ON (z.j) z.* FROM (" + rows + ") z ORDER BY z.j, " + order_inner;
    }
    rows = "SELECT * FROM (" + rows + ") y ORDER BY " + order_inner + " LIMIT " + std::to_string(c.limit) + " OFFSET " +
           std::to_string(c.skip);
    return "(SELECT COALESCE(pg_catalog.jsonb_agg(x.j ORDER BY " + order_outer + "), " + kEmptyArray + ") FROM (" +
           rows + ") x)";
}

std::string Compiler::per_row_query() {
    // With a filter, the matches are ranked in full (a top-N sort, bounded
    // by limit + skip) behind an OFFSET 0 fence: an ordered index scan that
    // stops at `limit` matches is a bet on where the matches lie (the
    // planner assumes everywhere) and it loses badly when they are all at
    // the far end, say the oldest records for the default __id desc. The
    // count of "total" visits every match anyway. Without a filter the
    // (label, id) index and property sort indexes give the order directly.
    const bool fenced = o_.filter_r != "TRUE";
    const std::string oa = fenced ? "(f.r)" : "r";  // the record where the order is computed
    const std::string ra = "(o.r)";                 // and where the output is
    std::string order;
    bool by_id = false;
    if (order_by_ != nullptr) {
        if (order_by_->is_string()) {
            order = oa + ".id " + direction(*order_by_, "orderBy");
            by_id = true;
        } else {
            for (const auto& m : order_by_->as_object()) {
                const std::string dir = direction(m.value, path_member("orderBy", m.key));
                const std::string name = order_key_name(m.key, path_member("orderBy", m.key));
                std::string key;
                if (name == "__id") {
                    key = oa + ".id " + dir;
                    by_id = true;
                } else if (exprs_.count(name) != 0 && m.key.compare(0, 1, "$") != 0) {
                    if (collects_.count(name) != 0)
                        throw FindError(path_member("orderBy", m.key), "cannot order by a $collect");
                    const Value v = select_value(name, oa);
                    key = sort_key(as_json(v), v.type_sql) + " " + dir;
                } else {
                    key = sort_key(field_sql(oa, name), field_type(oa, name)) + " " + dir;
                }
                order += (order.empty() ? "" : ", ") + key;
            }
        }
    }
    if (!by_id) order += std::string(order.empty() ? "" : ", ") + oa + ".id DESC";
    std::string out = "rushdb_internal.record_json(" + ra + ")";
    for (std::size_t i = 0; i < keys_.size(); ++i) {
        const std::string& k = keys_[i];
        auto c = collects_.find(k);
        const std::string v = c != collects_.end() ? collect_per_row(c->second, ra) : as_json(select_value(k, ra));
        out += qop("||") + "pg_catalog.jsonb_build_object(" + key_params_[i] + ", " + v + ")";
    }
    const std::string page =
        " ORDER BY " + order + " LIMIT " + std::to_string(limit_) + " OFFSET " + std::to_string(skip_);
    const std::string rows = fenced ? "SELECT f.r FROM (SELECT r FROM rushdb.records r WHERE " +
                                          base_where("r", o_.filter_r) + " OFFSET 0) f" + page
                                    : "SELECT r FROM rushdb.records r WHERE " + base_where("r", o_.filter_r) + page;
    return "SELECT " + out + " AS j FROM (" + rows + ") o";
}

std::string Compiler::grouped_query() {
    // Grouping columns: the groupBy fields and select keys that are not
    // aggregates (a key listed in groupBy whose value is an aggregate is
    // RushDB's "self-group": one row over every record).
    std::set<std::string> dim_keys;
    auto add_dim = [&](Dim d) {
        if (!dim_keys.insert(d.out_key).second) return;
        dims_.push_back(std::move(d));
    };
    std::vector<std::string> aggregates;  // select keys computed by the grouped query
    for (std::size_t i = 0; i < group_by_.size(); ++i) {
        const std::string& g = group_by_[i];
        const std::string p = path_index("groupBy", i);
        if (exprs_.count(g) != 0) continue;  // a select key: below
        if (g.find('.') == std::string::npos)
            throw FindError(p, "a groupBy entry is a field (\"$record.status\") or a key of select, not " +
                                   json::to_json(JsonValue::string(g)));
        const std::string name = field_name(g, p, false);
        // A JSON null and an absent property are one group, as in RushDB
        // (which stores no nulls).
        const auto value = [&](const std::string& alias) {
            return "NULLIF(" + field_sql(alias, name) + ", 'null'::pg_catalog.jsonb)";
        };
        add_dim(Dim{name, value("r"), value("c"),
                    name == "__id" || name == "__label" ? "" : "pg_catalog.min" + field_type("r", name)});
    }
    for (const std::string& k : keys_) {
        if (collects_.count(k) != 0) continue;
        const Value v = select_value(k, "r");
        if (v.aggregate) {
            if (v.bare_field)
                throw FindError(path_member("select", k),
                                "mixes an aggregate with a field of each record; with groupBy, "
                                "read fields through $sum/$min/... or group by them");
            aggregates.push_back(k);
        } else {
            add_dim(Dim{k, as_json(v), as_json(select_value(k, "c")),
                        v.type_sql.empty() ? "" : "pg_catalog.min(" + v.type_sql + ")"});
        }
    }
    std::string inner, group;
    for (std::size_t i = 0; i < dims_.size(); ++i) {
        const std::string n = std::to_string(i + 1);
        inner += std::string(inner.empty() ? "" : ", ") + dims_[i].sql_r + " AS d" + n + ", " +
                 (dims_[i].type_r.empty() ? "NULL::pg_catalog.text" : dims_[i].type_r) + " AS t" + n;
        group += (group.empty() ? "" : ", ") + dims_[i].sql_r;
    }
    for (std::size_t i = 0; i < aggregates.size(); ++i) {
        const Value& v = values_.at({aggregates[i], "r"});
        inner += std::string(inner.empty() ? "" : ", ") + as_json(v) + " AS a" + std::to_string(i + 1);
        // $min / $max: their sort key, so the rows order as the values do.
        if (!v.order_sql.empty()) inner += ", " + v.order_sql + " AS k" + std::to_string(i + 1);
    }
    if (inner.empty()) inner = "pg_catalog.count(*) AS n";
    std::string out;
    auto append = [&](const std::string& key_param, const std::string& value) {
        out += std::string(out.empty() ? "" : qop("||")) + "pg_catalog.jsonb_build_object(" + key_param + ", " + value +
               ")";
    };
    std::map<std::string, std::string> column;  // output key -> its g column, for orderBy
    std::map<std::string, std::string> column_type;
    std::map<std::string, std::string> column_key;  // $min / $max: their own sort key column
    for (std::size_t i = 0; i < keys_.size(); ++i) {
        const std::string& k = keys_[i];
        auto c = collects_.find(k);
        if (c != collects_.end()) {
            append(key_params_[i], collect_grouped(c->second));
            continue;
        }
        auto a = std::find(aggregates.begin(), aggregates.end(), k);
        if (a != aggregates.end()) {
            const std::string n = std::to_string(a - aggregates.begin() + 1);
            append(key_params_[i], "g.a" + n);
            column[k] = "g.a" + n;
            if (!values_.at({k, "r"}).order_sql.empty()) column_key[k] = "g.k" + n;
        }
    }
    for (std::size_t i = 0; i < dims_.size(); ++i) {
        const std::string n = std::to_string(i + 1);
        append(param(dims_[i].out_key), "g.d" + n);
        column[dims_[i].out_key] = "g.d" + n;
        column_type[dims_[i].out_key] = "g.t" + n;
    }
    if (out.empty()) out = "'{}'::pg_catalog.jsonb";
    std::string order;
    if (order_by_ != nullptr) {
        if (order_by_->is_string())
            throw FindError("orderBy",
                            "with groupBy, orderBy names a select key or a groupBy field: {\"count\": \"desc\"}");
        for (const auto& m : order_by_->as_object()) {
            const std::string dir = direction(m.value, path_member("orderBy", m.key));
            const std::string key = order_key_name(m.key, path_member("orderBy", m.key));
            auto col = column.find(key);
            if (col == column.end())
                throw FindError(path_member("orderBy", m.key),
                                "with groupBy, orderBy names a select key (not a $collect) "
                                "or a groupBy field of the result rows");
            auto t = column_type.find(key);
            auto k = column_key.find(key);
            order +=
                std::string(order.empty() ? "" : ", ") +
                (k != column_key.end() ? k->second : sort_key(col->second, t == column_type.end() ? "" : t->second)) +
                " " + dir;
        }
    }
    // Stable under ties: then by the grouping values.
    for (std::size_t i = 0; i < dims_.size(); ++i) {
        const std::string n = std::to_string(i + 1);
        order += std::string(order.empty() ? "" : ", ") + sort_key("g.d" + n, "g.t" + n) + " ASC";
    }
    // The page of groups first, then the output: a $collect runs for the
    // groups on the page only, not for the skipped ones.
    const std::string ordered = order.empty() ? "" : " ORDER BY " + order;
    return "SELECT " + out + " AS j FROM (SELECT g.* FROM (SELECT " + inner + " FROM rushdb.records r WHERE " +
           base_where("r", o_.filter_r) + " GROUP BY " + (group.empty() ? "()" : group) + ") g" + ordered + " LIMIT " +
           std::to_string(limit_) + " OFFSET " + std::to_string(skip_) + ") g" + ordered;
}

FindQuery Compiler::run(const JsonValue& q) {
    if (!q.is_object())
        throw FindError("find", "find takes a JSON object {labels, where, orderBy, skip, limit, select, groupBy}");
    check_members(q, find_keys(), "find");
    if (const JsonValue* w = q.find("where"); w && !w->is_object())
        throw FindError("where", "\"where\" must be an object of conditions, not " + a_type(w->type()));
    if (const JsonValue* l = q.find("labels")) {
        if (!l->is_array())
            throw FindError("labels", "\"labels\" must be an array of label names, not " + a_type(l->type()));
        if (l->as_array().size() > kMaxLabels)
            throw FindError("labels", "at most " + std::to_string(kMaxLabels) + " labels");
        for (std::size_t i = 0; i < l->as_array().size(); ++i) {
            const JsonValue& x = l->as_array()[i];
            if (!x.is_string() || x.as_string().empty())
                throw FindError(path_index("labels", i), "a label is a non-empty string");
            labels_sql_ += (labels_sql_.empty() ? "" : ", ") + param(x.as_string());
            ++labels_;
        }
    }
    if (const JsonValue* l = q.find("limit")) limit_ = whole_number(*l, 1, kMaxLimit, "limit", "limit");
    if (const JsonValue* s = q.find("skip")) skip_ = whole_number(*s, 0, 2147483647, "skip", "skip");
    if (const JsonValue* ob = q.find("orderBy")) {
        if (!ob->is_string() && !ob->is_object())
            throw FindError("orderBy", "orderBy is \"asc\", \"desc\" or {field: direction}");
        if (ob->is_string()) (void)direction(*ob, "orderBy");
        if (ob->is_string() || !ob->as_object().empty()) order_by_ = ob;
    }
    if (const JsonValue* g = q.find("groupBy")) {
        if (!g->is_array())
            throw FindError("groupBy", "groupBy is an array of fields (\"$record.status\") or select keys");
        for (std::size_t i = 0; i < g->as_array().size(); ++i) {
            const JsonValue& x = g->as_array()[i];
            if (!x.is_string() || x.as_string().empty())
                throw FindError(path_index("groupBy", i), "a groupBy entry is a non-empty string");
            group_by_.push_back(x.as_string());
        }
    }
    parse_select(q);
    if (!group_by_.empty() && keys_.empty())
        throw FindError("groupBy",
                        "groupBy shapes the rows of select: add select, e.g. {\"count\": {\"$count\": \"*\"}}");
    for (const std::string& k : keys_) {
        key_params_.push_back(param(k));
        const JsonValue& e = exprs_.at(k);
        if (e.is_object() && e.as_object().size() == 1 && e.as_object().front().key == "$collect")
            collects_.emplace(
                k, collect(k, e.as_object().front().value, path_member(path_member("select", k), "$collect")));
    }
    // Compile every other key now, so errors do not depend on the mode.
    for (const std::string& k : keys_)
        if (collects_.count(k) == 0) (void)select_value(k, "r");

    FindQuery out;
    out.grouped = !group_by_.empty();
    out.data_sql = out.grouped ? grouped_query() : per_row_query();
    out.count_sql = "SELECT pg_catalog.count(*) FROM rushdb.records r WHERE " + base_where("r", o_.filter_r);
    out.params = std::move(params_);
    return out;
}

}  // namespace

FindQuery compile_find(const JsonValue& query, const FindOptions& options) {
    Compiler c(options);
    return c.run(query);
}

}  // namespace rushdb::query
