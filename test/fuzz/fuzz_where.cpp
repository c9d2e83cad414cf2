// libFuzzer target for the JSON parser (src/core/json) and the where-filter
// compiler (src/core/filter) together, fed the way the server feeds them:
// the where filter's JSON text goes through parse_json, then compile_where
// with the glue's options (parameters as elements of one text[] array).
//
// The first input byte picks the options (node limit, SQL size limit,
// $N or array placeholders, an interrupt hook that abandons the compilation
// at some node); the rest is the JSON text. Checked, abort() on violation:
//   - parse_json throws only JsonParseError; a parsed value prints with
//     to_json and parses back to an equal value;
//   - compile_where throws only FilterError (FilterLimitError for limits) or
//     the hook's own exception, never std::invalid_argument or anything else;
//   - a compiled filter honours the limits (SQL no longer than max_sql_bytes),
//     is printable ASCII with balanced parentheses, contains no ';', no
//     comment and no quoted literal outside the compiler's fixed set (so no
//     caller string reached it), and uses every parameter, each placeholder
//     in range;
//   - the same filter with every name and value replaced compiles to the
//     same SQL (the text depends on the shape only).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "filter/where_compiler.hpp"
#include "json/json_value.hpp"

using rushdb::filter::CompiledFilter;
using rushdb::filter::CompileOptions;
using rushdb::filter::FilterError;
using rushdb::filter::FilterLimitError;
using rushdb::json::JsonParseError;
using rushdb::json::JsonType;
using rushdb::json::JsonValue;

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
    std::fprintf(stderr, "fuzz_where: %s\n%.2000s\n", what, detail.c_str());
    std::abort();
}

struct Abandon {};  // what the interrupt hook throws

// Every name and value replaced; operators, booleans ($exists) and the
// kind of comparison operand (number, datetime) kept.
JsonValue relabel(const JsonValue& v, bool under_comparison) {
    switch (v.type()) {
        case JsonType::number:
            return JsonValue::number(7);
        case JsonType::string:
            // A comparison's string operand is a datetime (else it did not
            // compile): keep it, its form is part of the shape.
            return under_comparison ? v : JsonValue::string("z");
        case JsonType::array: {
            JsonValue a = JsonValue::array();
            for (const JsonValue& item : v.as_array()) a.push_back(relabel(item, false));
            return a;
        }
        case JsonType::object: {
            JsonValue o = JsonValue::object();
            int n = 0;
            for (const auto& m : v.as_object()) {
                const bool op = !m.key.empty() && m.key[0] == '$';
                const bool cmp = m.key == "$gt" || m.key == "$gte" || m.key == "$lt" || m.key == "$lte";
                o.add(op ? m.key : "k" + std::to_string(n++), relabel(m.value, cmp));
            }
            return o;
        }
        default:
            return v;
    }
}

void check_sql(const CompiledFilter& f, const CompileOptions& o) {
    const std::string& sql = f.sql;
    if (sql.size() > o.max_sql_bytes) fail("SQL longer than max_sql_bytes", sql.substr(0, 200));
    static const std::set<std::string> kLiterals = {"'number'", "'string'", "'null'", "'{}'"};
    std::vector<bool> used(f.params.size(), false);
    long depth = 0;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        const char c = sql[i];
        if (c < 0x20 || c > 0x7E) fail("non-printable byte in SQL", sql);
        if (c == ';') fail("';' in SQL", sql);
        if (sql.compare(i, 2, "--") == 0 || sql.compare(i, 2, "/*") == 0) fail("comment in SQL", sql);
        if (c == '(') ++depth;
        if (c == ')' && --depth < 0) fail("unbalanced ')'", sql);
        if (c == '\'') {
            const std::size_t j = sql.find('\'', i + 1);
            if (j == std::string::npos || !kLiterals.count(sql.substr(i, j + 1 - i))) fail("unexpected literal", sql);
            i = j;
        } else if (c == '$') {
            std::size_t j = i + 1;
            long n = 0;
            while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') n = n * 10 + (sql[j++] - '0');
            if (j == i + 1) fail("'$' without a number", sql);
            long index;
            if (o.param_array > 0) {
                if (n != o.param_array || j >= sql.size() || sql[j] != '[') fail("placeholder outside the array", sql);
                long k = 0;
                std::size_t e = j + 1;
                while (e < sql.size() && sql[e] >= '0' && sql[e] <= '9') k = k * 10 + (sql[e++] - '0');
                if (e >= sql.size() || sql[e] != ']') fail("malformed array element", sql);
                index = k - 1;
                j = e + 1;
            } else {
                index = n - o.first_param;
            }
            if (index < 0 || static_cast<std::size_t>(index) >= f.params.size()) fail("placeholder out of range", sql);
            if (sql.compare(j, 14, "::pg_catalog.") != 0 && sql.compare(j, 13, "::pg_catalog.") != 0)
                fail("placeholder without a qualified cast", sql);
            used[static_cast<std::size_t>(index)] = true;
            i = j - 1;
        }
    }
    if (depth != 0) fail("unbalanced '('", sql);
    for (std::size_t k = 0; k < used.size(); ++k)
        if (!used[k]) fail("unused parameter", sql);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t knobs = data[0];
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

    JsonValue where;
    try {
        where = rushdb::json::parse_json(text);
    } catch (const JsonParseError& e) {
        if (e.offset() > text.size()) fail("parse error offset past the input");
        return 0;
    } catch (...) {
        fail("parse_json threw something other than JsonParseError");
    }
    try {
        if (!(rushdb::json::parse_json(rushdb::json::to_json(where)) == where)) fail("to_json does not round-trip");
    } catch (const std::invalid_argument&) {
        // to_json refuses strings that are not valid UTF-8; parse_json never
        // produces them.
        fail("to_json refused a parsed value");
    }

    CompileOptions o;
    o.properties_expr = "r.properties";
    o.max_nodes = (knobs & 3) == 0 ? 5 : (knobs & 3) == 1 ? 50 : 1000;
    o.max_sql_bytes = (knobs & 4) ? 4096 : rushdb::filter::kDefaultMaxFilterSqlBytes;
    if (knobs & 8)
        o.param_array = 5;
    else
        o.first_param = (knobs & 16) ? 65500 : 1;
    int calls = 0;
    const int abandon_at = (knobs & 32) ? 1 + (knobs >> 6) * 7 : -1;
    o.check_interrupts = [&calls, abandon_at] {
        if (++calls == abandon_at) throw Abandon{};
    };

    CompiledFilter f;
    try {
        f = rushdb::filter::compile_where(where, o);
    } catch (const FilterLimitError& e) {
        if (e.path().rfind("where", 0) != 0) fail("limit error path does not start at where", e.path());
        return 0;
    } catch (const FilterError& e) {
        if (e.path().rfind("where", 0) != 0 || e.message().empty()) fail("bad FilterError", e.what());
        return 0;
    } catch (const Abandon&) {
        return 0;
    } catch (const std::exception& e) {
        fail("compile_where threw an unexpected exception", e.what());
    } catch (...) {
        fail("compile_where threw a non-std exception");
    }
    if (calls > static_cast<int>(o.max_nodes)) fail("more interrupt checks than nodes allowed");
    check_sql(f, o);

    CompileOptions same = o;
    same.check_interrupts = nullptr;
    try {
        if (rushdb::filter::compile_where(relabel(where, false), same).sql != f.sql)
            fail("the SQL depends on names or values", rushdb::json::to_json(where));
    } catch (const FilterError& e) {
        fail("the relabelled filter does not compile", e.what());
    }
    return 0;
}
