// The where-filter compiler: the exact SQL and parameters of every operator,
// every error with its path, and a seeded property test that no caller string
// ever reaches the SQL text.
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "filter/where_compiler.hpp"
#include "json/json_value.hpp"

using namespace rushdb::filter;
using rushdb::json::JsonArray;
using rushdb::json::JsonObject;
using rushdb::json::JsonValue;
using rushdb::json::parse_json;

namespace {

CompileOptions opts(int first_param = 1) {
    CompileOptions o;
    o.properties_expr = "r.properties";
    o.id_expr = "r.id";
    o.proptypes_expr = "r.proptypes";
    o.first_param = first_param;
    // Every property has range indexes here but "plain" (see
    // RangesWithoutAnIndexTestEachValue).
    o.range_indexed = [](const char*, const std::string& key) { return key != "plain"; };
    return o;
}

CompiledFilter compile(const std::string& json, int first_param = 1) {
    return compile_where(parse_json(json), opts(first_param));
}

Param text(const std::string& s) { return {ParamKind::text, s}; }
Param jsonb(const std::string& s) { return {ParamKind::jsonb, s}; }
Param numeric(const std::string& s) { return {ParamKind::numeric, s}; }
Param timestamptz(const std::string& s) { return {ParamKind::timestamptz, s}; }
Param uuid(const std::string& s) { return {ParamKind::uuid, s}; }

// Expected fragments, spelled out once so each test reads as the SQL it pins.
// Every operator, function and type is schema-qualified.
std::string o(const std::string& op) { return " OPERATOR(pg_catalog." + op + ") "; }
std::string eq(const std::string& k, const std::string& v) {
    return "(r.properties" + o("@>") + "pg_catalog.jsonb_build_object(" + k + "::pg_catalog.text, " + v +
           "::pg_catalog.jsonb) OR r.properties" + o("@>") + "pg_catalog.jsonb_build_object(" + k +
           "::pg_catalog.text, pg_catalog.jsonb_build_array(" + v + "::pg_catalog.jsonb)))";
}
std::string any_value(const std::string& k, const std::string& condition) {
    return "EXISTS (SELECT 1 FROM rushdb_internal.prop_values(r.properties, " + k +
           "::pg_catalog.text) AS rushdb_e(v) WHERE " + condition + ")";
}
std::string is_type(const std::string& type) {
    return "pg_catalog.jsonb_typeof(rushdb_e.v)" + o("=") + "'" + type + "'";
}
// A range: the values' [least, greatest] overlapping a constant range, so
// a GiST index on the helper serves it ("" for an unbounded side).
// A placeholder as the compiler writes it: cast, or read by try_timestamptz.
std::string typed(const std::string& ph, const std::string& type) {
    if (type == "timestamptz") return "rushdb_internal.try_timestamptz(" + ph + "::pg_catalog.text)";
    return ph + "::pg_catalog." + type;
}
std::string overlap(const std::string& kind, const std::string& k, const std::string& lo, bool lo_in,
                    const std::string& hi, bool hi_in, bool cast_lo = true) {
    const bool number = kind == "number";
    const std::string type = number ? "numeric" : "timestamptz";
    const std::string x = "rushdb_internal." + kind + "_range(r.properties, " + k + "::pg_catalog.text)";
    const std::string none = "NULL::pg_catalog." + type;
    return "(" + x + o("&&") + (number ? "pg_catalog.numrange(" : "pg_catalog.tstzrange(") +
           (lo.empty() ? none
            : cast_lo  ? typed(lo, type)
                       : lo) +
           ", " + (hi.empty() ? none : typed(hi, type)) + ", '" + (lo_in ? "[" : "(") + (hi_in ? "]" : ")") +
           "') AND " + x + " IS NOT NULL)";
}
std::string extreme(const std::string& kind, const std::string& k, const std::string& op, const std::string& n,
                    const std::string&) {
    const bool inclusive = op.size() == 2;
    return op[0] == '>' ? overlap(kind, k, n, inclusive, "", false) : overlap(kind, k, "", false, n, inclusive);
}
std::string num_cmp(const std::string& k, const std::string& op, const std::string& n) {
    return extreme("number", k, op, n, "numeric");
}
// Equality and <> on instants test each value; ranges use the extremes.
std::string time_cmp(const std::string& k, const std::string& op, const std::string& t) {
    if (op != "=" && op != "<>") return extreme("instant", k, op, t, "timestamptz");
    return any_value(k, is_type("string") + " AND rushdb_internal.try_timestamptz(rushdb_e.v" + o("#>>") + "'{}')" +
                            o(op) + typed(t, "timestamptz"));
}
std::string exists(const std::string& k) {
    return "(r.properties" + o("?") + k + "::pg_catalog.text AND pg_catalog.jsonb_typeof(r.properties" + o("->") + k +
           "::pg_catalog.text)" + o("<>") + "'null')";
}
const std::string kText = "(rushdb_e.v" + o("#>>") + "'{}')";

FilterError error_of(const std::string& json) {
    try {
        compile(json);
    } catch (const FilterError& e) {
        return e;
    }
    ADD_FAILURE() << "no FilterError for " << json;
    return FilterError("", "");
}

#define EXPECT_FILTER_ERROR(json, expected_path, message_part)                               \
    do {                                                                                     \
        FilterError e_ = error_of(json);                                                     \
        EXPECT_EQ(e_.path(), expected_path) << json;                                         \
        EXPECT_NE(e_.message().find(message_part), std::string::npos)                        \
            << "message: " << e_.message() << "\nwanted: " << (message_part);                \
        EXPECT_EQ(std::string(e_.what()), std::string(expected_path) + ": " + e_.message()); \
    } while (0)

}  // namespace

// ---------------------------------------------------------------------------
// Shapes

TEST(WhereCompiler, EmptyFilterIsTrue) {
    CompiledFilter f = compile("{}");
    EXPECT_EQ(f.sql, "TRUE");
    EXPECT_TRUE(f.params.empty());
}

TEST(WhereCompiler, StringEqualityIsContainment) {
    CompiledFilter f = compile(R"({"name": "John"})");
    EXPECT_EQ(f.sql,
              "(r.properties OPERATOR(pg_catalog.@>) pg_catalog.jsonb_build_object($1::pg_catalog.text, "
              "$2::pg_catalog.jsonb) OR r.properties OPERATOR(pg_catalog.@>) pg_catalog.jsonb_build_object("
              "$1::pg_catalog.text, pg_catalog.jsonb_build_array($2::pg_catalog.jsonb)))");
    EXPECT_EQ(f.params, (std::vector<Param>{text("name"), jsonb("\"John\"")}));
}

TEST(WhereCompiler, NumberAndBooleanEqualityKeepTheValueAsJsonb) {
    CompiledFilter n = compile(R"({"price": 1.50})");
    EXPECT_EQ(n.sql, eq("$1", "$2"));
    EXPECT_EQ(n.params, (std::vector<Param>{text("price"), jsonb("1.50")}));

    CompiledFilter b = compile(R"({"active": false})");
    EXPECT_EQ(b.params, (std::vector<Param>{text("active"), jsonb("false")}));

    // Beyond double precision: the number's text is what gets bound.
    CompiledFilter big = compile(R"({"id": 12345678901234567890123.25})");
    EXPECT_EQ(big.params[1], jsonb("12345678901234567890123.25"));
}

TEST(WhereCompiler, SeveralKeysAreAnded) {
    CompiledFilter f = compile(R"({"name": "John", "age": 18})");
    EXPECT_EQ(f.sql, "(" + eq("$1", "$2") + " AND " + eq("$3", "$4") + ")");
    EXPECT_EQ(f.params, (std::vector<Param>{text("name"), jsonb("\"John\""), text("age"), jsonb("18")}));
}

TEST(WhereCompiler, PlaceholdersStartAtFirstParam) {
    CompiledFilter f = compile(R"({"name": "John"})", 4);
    EXPECT_EQ(f.sql, eq("$4", "$5"));
    EXPECT_EQ(f.params.size(), 2u);
}

TEST(WhereCompiler, ParametersFollowTheShapeNotTheValues) {
    // Equal values get parameters of their own: the SQL of a filter depends
    // on its shape only, so one prepared plan serves every filter of a shape.
    CompiledFilter f = compile(R"({"$or": [{"a": 1}, {"a": 1}, {"a": "1"}]})");
    EXPECT_EQ(f.sql, "(" + eq("$1", "$2") + " OR " + eq("$3", "$4") + " OR " + eq("$5", "$6") + ")");
    EXPECT_EQ(f.params, (std::vector<Param>{text("a"), jsonb("1"), text("a"), jsonb("1"), text("a"), jsonb("\"1\"")}));
    EXPECT_EQ(compile(R"({"$or": [{"x": 2}, {"y": "z"}, {"w": true}]})").sql, f.sql);
    EXPECT_EQ(compile(R"({"k": {"$contains": "k"}})").sql, compile(R"({"k": {"$contains": "j"}})").sql);
    // One property's conditions share its name's parameter.
    CompiledFilter shared = compile(R"({"n": {"$gt": 1, "$lt": 1}})");
    EXPECT_EQ(shared.params, (std::vector<Param>{text("n"), numeric("1"), numeric("1")}));
}

TEST(WhereCompiler, ParameterArrayElements) {
    CompileOptions a = opts();
    a.param_array = 5;
    CompiledFilter f = compile_where(parse_json(R"({"name": "John", "age": {"$gt": 3}})"), a);
    EXPECT_EQ(f.sql, "(" + eq("$5[1]", "$5[2]") + " AND " + num_cmp("$5[3]", ">", "$5[4]") + ")");
    EXPECT_EQ(f.params.size(), 4u);
}

// ---------------------------------------------------------------------------
// Operators

TEST(WhereCompiler, NotEqualIsSomeValueThatDiffers) {
    // RushDB's $ne: a value of the property differs (an array with another
    // element matches; an absent property does not).
    CompiledFilter f = compile(R"({"status": {"$ne": "archived"}})");
    EXPECT_EQ(f.sql, any_value("$1", "rushdb_e.v" + o("<>") + "$2::pg_catalog.jsonb"));
    EXPECT_EQ(f.params, (std::vector<Param>{text("status"), jsonb("\"archived\"")}));
    // $ne null: present.
    EXPECT_EQ(compile(R"({"status": {"$ne": null}})").sql, exists("$1"));
}

TEST(WhereCompiler, EqIsThePlainValue) {
    EXPECT_EQ(compile(R"({"a": {"$eq": "x"}})").sql, compile(R"({"a": "x"})").sql);
    EXPECT_EQ(compile(R"({"a": {"$eq": "x"}})").params, compile(R"({"a": "x"})").params);
    // null means absent, plain or under $eq.
    EXPECT_EQ(compile(R"({"a": null})").sql, "(NOT " + exists("$1") + ")");
    EXPECT_EQ(compile(R"({"a": {"$eq": null}})").sql, "(NOT " + exists("$1") + ")");
}

TEST(WhereCompiler, PlainArrayNeedsEveryElement) {
    CompiledFilter f = compile(R"({"tags": ["a", {"$startsWith": "b"}]})");
    EXPECT_EQ(f.sql,
              "(" + eq("$1", "$2") + " AND " +
                  any_value("$1", is_type("string") + " AND pg_catalog.left(" + kText +
                                      ", pg_catalog.length($3::pg_catalog.text))" + o("=") + "$3::pg_catalog.text") +
                  ")");
}

// Two bounds: one overlap with the window when it is not empty, else the
// bounds on their own; the choice is made in SQL, so the text depends on
// the operators only.
std::string window(const std::string& kind, const std::string& k, const std::string& lo, bool lo_in,
                   const std::string& hi, bool hi_in) {
    const std::string type = kind == "number" ? "numeric" : "timestamptz";
    const std::string l = typed(lo, type), h = typed(hi, type);
    const std::string w = "(" + l + o(lo_in && hi_in ? "<=" : "<") + h + ")";
    return "((" + w + " AND " + overlap(kind, k, "LEAST(" + l + ", " + h + ")", lo_in, hi, hi_in, false) +
           ") OR (NOT " + w + " AND " + overlap(kind, k, lo, lo_in, "", false) + " AND " +
           overlap(kind, k, "", false, hi, hi_in) + "))";
}

TEST(WhereCompiler, RangesWithoutAnIndexTestEachValue) {
    const std::string number =
        any_value("$1", "CASE WHEN " + is_type("number") + " THEN rushdb_e.v::pg_catalog.numeric" + o(">") +
                            "$2::pg_catalog.numeric ELSE FALSE END");
    EXPECT_EQ(compile(R"({"plain": {"$gt": 5}})").sql, number);
    const std::string lt = any_value("$1", "CASE WHEN " + is_type("number") + " THEN rushdb_e.v::pg_catalog.numeric" +
                                               o("<") + "$3::pg_catalog.numeric ELSE FALSE END");
    EXPECT_EQ(compile(R"({"plain": {"$gt": 5, "$lt": 9}})").sql, "(" + number + " AND " + lt + ")");
    EXPECT_EQ(compile(R"({"plain": {"$gte": "2024-01-01"}})").sql,
              any_value("$1", is_type("string") + " AND rushdb_internal.try_timestamptz(rushdb_e.v" + o("#>>") +
                                  "'{}')" + o(">=") + typed("$2", "timestamptz")));
}

TEST(WhereCompiler, TwoBoundsAreOneWindow) {
    EXPECT_EQ(compile(R"({"n": {"$gt": 1, "$lte": 9}})").sql, window("number", "$1", "$2", false, "$3", true));
    EXPECT_EQ(compile(R"({"n": {"$gt": 9, "$lt": 1}})").sql, window("number", "$1", "$2", false, "$3", false));
    EXPECT_EQ(compile(R"({"n": {"$lte": 9, "$gte": 5}})").sql, window("number", "$1", "$2", true, "$3", true));
    EXPECT_EQ(compile(R"({"t": {"$gte": "2024-01-01", "$lt": {"$year": 2025}}})").sql,
              window("instant", "$1", "$2", true, "$3", false));
    // Mixed types, or two lower bounds: operator by operator.
    EXPECT_EQ(compile(R"({"n": {"$gt": 1, "$lt": "2024-01-01"}})").sql,
              "(" + num_cmp("$1", ">", "$2") + " AND " + time_cmp("$1", "<", "$3") + ")");
    EXPECT_EQ(compile(R"({"n": {"$gt": 1, "$gte": 2}})").sql,
              "(" + num_cmp("$1", ">", "$2") + " AND " + num_cmp("$1", ">=", "$3") + ")");
}

TEST(WhereCompiler, NumberComparisonsCastOnlyNumbers) {
    const std::pair<const char*, const char*> ops[] = {{"$gt", ">"}, {"$gte", ">="}, {"$lt", "<"}, {"$lte", "<="}};
    for (const auto& [op, sql_op] : ops) {
        CompiledFilter f = compile(std::string(R"({"age": {")") + op + R"(": 18}})");
        EXPECT_EQ(f.sql, num_cmp("$1", sql_op, "$2")) << op;
        EXPECT_EQ(f.params, (std::vector<Param>{text("age"), numeric("18")})) << op;
    }
    EXPECT_EQ(compile(R"({"x": {"$gt": -1.5e-3}})").params[1], numeric("-1.5e-3"));
}

TEST(WhereCompiler, OperatorsOnOnePropertyAreAnded) {
    CompiledFilter f = compile(R"({"age": {"$gte": 18, "$lt": 65}})");
    // A lower and an upper bound: one window.
    EXPECT_EQ(f.sql, window("number", "$1", "$2", true, "$3", false));
    EXPECT_EQ(f.params, (std::vector<Param>{text("age"), numeric("18"), numeric("65")}));
}

TEST(WhereCompiler, DatetimeComparisonsBindAnExplicitInstant) {
    CompiledFilter f = compile(R"({"born": {"$gte": "2024-01-01", "$lt": "2024-06-01T10:30+02:00"}})");
    EXPECT_EQ(f.sql, window("instant", "$1", "$2", true, "$3", false));
    EXPECT_EQ(f.params, (std::vector<Param>{text("born"), timestamptz("2024-01-01T00:00:00Z"),
                                            timestamptz("2024-06-01T10:30:00+02:00")}));
    // No offset means UTC; seconds and fractions are kept.
    EXPECT_EQ(compile(R"({"t": {"$lte": "2024-02-29T23:59:59.123"}})").params[1],
              timestamptz("2024-02-29T23:59:59.123Z"));
}

TEST(WhereCompiler, InIsAnOrOfContainments) {
    CompiledFilter f = compile(R"({"tags": {"$in": ["a", 2, true]}})");
    EXPECT_EQ(f.sql, "(" + eq("$1", "$2") + " OR " + eq("$1", "$3") + " OR " + eq("$1", "$4") + ")");
    EXPECT_EQ(f.params, (std::vector<Param>{text("tags"), jsonb("\"a\""), jsonb("2"), jsonb("true")}));

    EXPECT_EQ(compile(R"({"tags": {"$in": ["a"]}})").sql, eq("$1", "$2"));
}

TEST(WhereCompiler, NotInIsPresentAndNoneOfThem) {
    CompiledFilter f = compile(R"({"tags": {"$nin": ["a", "b"]}})");
    EXPECT_EQ(f.sql, "(" + exists("$1") + " AND (NOT (" + eq("$1", "$2") + " OR " + eq("$1", "$3") + ")))");
    EXPECT_EQ(f.params, (std::vector<Param>{text("tags"), jsonb("\"a\""), jsonb("\"b\"")}));
    // null in the list changes nothing: an absent property matches no $nin.
    EXPECT_EQ(compile(R"({"tags": {"$nin": ["a", null, "b"]}})").sql, f.sql);
    EXPECT_EQ(compile(R"({"tags": {"$nin": [null]}})").sql, exists("$1"));
}

TEST(WhereCompiler, NullInInMeansAbsent) {
    CompiledFilter f = compile(R"({"tags": {"$in": ["a", null]}})");
    EXPECT_EQ(f.sql, "(" + eq("$1", "$2") + " OR (NOT " + exists("$1") + "))");
    EXPECT_EQ(compile(R"({"tags": {"$in": [null]}})").sql, "(NOT " + exists("$1") + ")");
}

TEST(WhereCompiler, EmptyInListsAreConstantsWithoutParameters) {
    CompiledFilter in = compile(R"({"tags": {"$in": []}})");
    EXPECT_EQ(in.sql, "FALSE");
    EXPECT_TRUE(in.params.empty());
    // $nin [] is "present": absent properties match no $nin.
    CompiledFilter nin = compile(R"({"tags": {"$nin": []}})");
    EXPECT_EQ(nin.sql, exists("$1"));
    // FALSE is left out of an OR.
    EXPECT_EQ(compile(R"({"$or": [{"tags": {"$in": []}}, {"a": 1}]})").sql, eq("$1", "$2"));
}

TEST(WhereCompiler, StringOperatorsUseStrposLeftRight) {
    // $contains folds ASCII letters on both sides (case-insensitive, as
    // RushDB's is); the other two are case-sensitive.
    CompiledFilter c = compile(R"({"name": {"$contains": "%_"}})");
    const auto fold = [](const std::string& x) {
        return "pg_catalog.translate(" + x + ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')";
    };
    EXPECT_EQ(c.sql, any_value("$1", is_type("string") + " AND pg_catalog.strpos(" + fold(kText) + ", " +
                                         fold("$2::pg_catalog.text") + ")" + o(">") + "0"));
    EXPECT_EQ(c.params, (std::vector<Param>{text("name"), text("%_")}));

    CompiledFilter s = compile(R"({"name": {"$startsWith": "Jo"}})");
    EXPECT_EQ(s.sql, any_value("$1", is_type("string") + " AND pg_catalog.left(" + kText +
                                         ", pg_catalog.length($2::pg_catalog.text))" + o("=") + "$2::pg_catalog.text"));
    EXPECT_EQ(s.params, (std::vector<Param>{text("name"), text("Jo")}));

    CompiledFilter e = compile(R"({"email": {"$endsWith": "@x.org"}})");
    EXPECT_EQ(e.sql, any_value("$1", is_type("string") + " AND pg_catalog.right(" + kText +
                                         ", pg_catalog.length($2::pg_catalog.text))" + o("=") + "$2::pg_catalog.text"));
    EXPECT_EQ(e.params, (std::vector<Param>{text("email"), text("@x.org")}));
}

TEST(WhereCompiler, ExistsTestsKeyAndNonNull) {
    CompiledFilter t = compile(R"({"nick": {"$exists": true}})");
    EXPECT_EQ(t.sql, exists("$1"));
    EXPECT_EQ(t.params, (std::vector<Param>{text("nick")}));
    CompiledFilter f = compile(R"({"nick": {"$exists": false}})");
    EXPECT_EQ(f.sql, "(NOT " + exists("$1") + ")");
}

TEST(WhereCompiler, LogicalOperators) {
    CompiledFilter a = compile(R"({"$and": [{"a": 1}, {"b": 2}]})");
    EXPECT_EQ(a.sql, "(" + eq("$1", "$2") + " AND " + eq("$3", "$4") + ")");

    CompiledFilter o = compile(R"({"$or": [{"a": 1}, {"b": 2}]})");
    EXPECT_EQ(o.sql, "(" + eq("$1", "$2") + " OR " + eq("$3", "$4") + ")");

    CompiledFilter n = compile(R"({"$not": {"a": 1}})");
    EXPECT_EQ(n.sql, "(NOT " + eq("$1", "$2") + ")");

    // A one-element list is its element; {} inside a list is TRUE.
    EXPECT_EQ(compile(R"({"$or": [{"a": 1}]})").sql, eq("$1", "$2"));
    EXPECT_EQ(compile(R"({"$and": [{}]})").sql, "TRUE");
    EXPECT_EQ(compile(R"({"$or": [{}, {"a": 1}]})").sql, "(TRUE OR " + eq("$1", "$2") + ")");

    CompiledFilter mixed = compile(R"({"$or": [{"age": {"$lt": 18}}, {"$not": {"x": "y"}}], "z": true})");
    EXPECT_EQ(mixed.sql,
              "((" + num_cmp("$1", "<", "$2") + " OR (NOT " + eq("$3", "$4") + ")) AND " + eq("$5", "$6") + ")");
    EXPECT_EQ(mixed.params,
              (std::vector<Param>{text("age"), numeric("18"), text("x"), jsonb("\"y\""), text("z"), jsonb("true")}));
}

TEST(WhereCompiler, PropertyNamesAreAlwaysParameters) {
    CompiledFilter f = compile(R"({"it's \"odd\"; --": {"$exists": true}})");
    EXPECT_EQ(f.sql, exists("$1"));
    EXPECT_EQ(f.params, (std::vector<Param>{text("it's \"odd\"; --")}));
}

TEST(WhereCompiler, ThirtyTwoLevelsOfNestingCompile) {
    std::string json = R"({"a": 1})";
    for (int i = 1; i < 32; ++i) json = R"({"$not": )" + json + "}";
    EXPECT_NO_THROW(compile(json));
}

TEST(WhereCompiler, AThousandNodesCompile) {
    // 1 object + 1 operator + 998 values.
    std::string json = R"({"n": {"$in": [)";
    for (int i = 0; i < 998; ++i) json += (i ? "," : "") + std::to_string(i);
    json += "]}}";
    CompiledFilter f = compile(json);
    EXPECT_EQ(f.params.size(), 999u);
    EXPECT_NE(f.sql.find("$999::pg_catalog.jsonb"), std::string::npos);
}

TEST(WhereCompiler, InterruptCheckRunsOncePerNode) {
    CompileOptions c = opts();
    int calls = 0;
    c.check_interrupts = [&calls] { ++calls; };
    // 3 objects (the top and two list elements), 3 conditions (a, b.$gt,
    // b.$in) and 2 list values.
    compile_where(parse_json(R"({"$or": [{"a": 1}, {"b": {"$gt": 1, "$in": [1, 2]}}]})"), c);
    EXPECT_EQ(calls, 8);
}

TEST(WhereCompiler, InterruptCheckMayAbandonTheCompilation) {
    struct Cancelled {};
    CompileOptions c = opts();
    int calls = 0;
    c.check_interrupts = [&calls] {
        if (++calls == 50) throw Cancelled{};
    };
    std::string json = R"({"$and": [)";
    for (int i = 0; i < 100; ++i) json += std::string(i ? "," : "") + R"({"a": 1})";
    json += "]}";
    EXPECT_THROW(compile_where(parse_json(json), c), Cancelled);
    EXPECT_EQ(calls, 50);
}

// ---------------------------------------------------------------------------
// Logical operators, $type, $id, datetime component objects

TEST(WhereCompilerLogical, ObjectFormTakesMembersOneByOne) {
    // {"$or": {"a": 1, "b": 2}} is {"$or": [{"a": 1}, {"b": 2}]}.
    CompiledFilter obj = compile(R"({"$or": {"a": 1, "b": 2}})");
    CompiledFilter arr = compile(R"({"$or": [{"a": 1}, {"b": 2}]})");
    EXPECT_EQ(obj.sql, arr.sql);
    EXPECT_EQ(obj.params, arr.params);
    EXPECT_EQ(obj.sql, "(" + eq("$1", "$2") + " OR " + eq("$3", "$4") + ")");
}

TEST(WhereCompilerLogical, NorXorNot) {
    EXPECT_EQ(compile(R"({"$nor": [{"a": 1}, {"b": 2}]})").sql,
              "(NOT (" + eq("$1", "$2") + " OR " + eq("$3", "$4") + "))");
    // $xor is a chain of XORs (odd parity), as RushDB writes it.
    EXPECT_EQ(compile(R"({"$xor": [{"a": 1}, {"b": 2}, {"c": 3}]})").sql,
              "((" + eq("$1", "$2") + o("<>") + eq("$3", "$4") + ")" + o("<>") + eq("$5", "$6") + ")");
    // $not over several conditions negates their AND, in either form.
    const std::string nand = "(NOT (" + eq("$1", "$2") + " AND " + eq("$3", "$4") + "))";
    EXPECT_EQ(compile(R"({"$not": [{"a": 1}, {"b": 2}]})").sql, nand);
    EXPECT_EQ(compile(R"({"$not": {"a": 1, "b": 2}})").sql, nand);
}

TEST(WhereCompilerLogical, InsideAProperty) {
    // Over the property's own conditions: values or operator objects.
    EXPECT_EQ(compile(R"({"age": {"$or": [{"$lt": 5}, {"$gt": 65}]}})").sql,
              "(" + num_cmp("$1", "<", "$2") + " OR " + num_cmp("$1", ">", "$3") + ")");
    EXPECT_EQ(compile(R"({"age": {"$or": {"$lt": 5, "$gt": 65}}})").sql,
              "(" + num_cmp("$1", "<", "$2") + " OR " + num_cmp("$1", ">", "$3") + ")");
    EXPECT_EQ(compile(R"({"genre": {"$or": ["a", "b"]}})").sql, "(" + eq("$1", "$2") + " OR " + eq("$1", "$3") + ")");
    EXPECT_EQ(compile(R"({"age": {"$not": {"$gt": 5}}})").sql, "(NOT " + num_cmp("$1", ">", "$2") + ")");
    EXPECT_EQ(compile(R"({"genre": {"$not": "a"}})").sql, "(NOT " + eq("$1", "$2") + ")");
}

TEST(WhereCompilerType, ChecksTheRecordedType) {
    CompiledFilter f = compile(R"({"born": {"$type": "datetime"}})");
    // Containment: never NULL, even when the key is missing.
    EXPECT_EQ(f.sql,
              "(r.proptypes" + o("@>") + "pg_catalog.jsonb_build_object($1::pg_catalog.text, $2::pg_catalog.text))");
    EXPECT_EQ(f.params, (std::vector<Param>{text("born"), text("datetime")}));
    EXPECT_EQ(compile(R"({"born": {"$type": "null"}})").sql, "(NOT " + exists("$1") + ")");
}

TEST(WhereCompilerId, ComparesTheRecordId) {
    const std::string id = "0190C4A2-7B3E-7C1D-9A2B-3C4D5E6F7A8B", lower = "0190c4a2-7b3e-7c1d-9a2b-3c4d5e6f7a8b";
    CompiledFilter f = compile(R"({"$id": ")" + id + R"("})");
    EXPECT_EQ(f.sql, "(r.id" + o("=") + "$1::pg_catalog.uuid)");
    EXPECT_EQ(f.params, (std::vector<Param>{uuid(lower)}));
    CompiledFilter in = compile(R"({"$id": {"$in": [")" + lower + R"(", ")" + lower + R"("]}, "a": 1})");
    EXPECT_EQ(in.sql, "(((r.id" + o("=") + "$1::pg_catalog.uuid) OR (r.id" + o("=") + "$2::pg_catalog.uuid)) AND " +
                          eq("$3", "$4") + ")");
    EXPECT_EQ(compile(R"({"$id": {"$ne": ")" + lower + R"("}})").sql, "(r.id" + o("<>") + "$1::pg_catalog.uuid)");
    EXPECT_EQ(compile(R"({"$id": {"$nin": []}})").sql, "(NOT FALSE)");
    EXPECT_EQ(compile(R"({"$or": [{"$id": ")" + lower + R"("}, {"a": 1}]})").sql,
              "((r.id" + o("=") + "$1::pg_catalog.uuid) OR " + eq("$2", "$3") + ")");
    EXPECT_FILTER_ERROR(R"({"$id": "42"})", "where.$id", "this string is not one");
    EXPECT_FILTER_ERROR(R"({"$id": 42})", "where.$id", "not a number");
    EXPECT_FILTER_ERROR(R"({"$id": {"$gt": "x"}})", "where.$id.$gt", "$id takes $eq, $ne, $in and $nin");
    EXPECT_FILTER_ERROR(R"({"$id": {"$in": ["x"]}})", "where.$id.$in[0]", "not one");
    EXPECT_FILTER_ERROR(R"({"$id": {}})", "where.$id", "an empty object");
}

TEST(WhereCompilerDatetime, ComponentObjectsAreInstantsInUtc) {
    // As a value: that instant, the components not given at their smallest.
    CompiledFilter f = compile(R"({"born": {"$year": 2024, "$month": 5}})");
    EXPECT_EQ(f.sql, time_cmp("$1", "=", "$2"));
    EXPECT_EQ(f.params, (std::vector<Param>{text("born"), timestamptz("2024-05-01T00:00:00.000000000Z")}));
    EXPECT_EQ(compile(R"({"born": {"$eq": {"$year": 2024}}})").sql, time_cmp("$1", "=", "$2"));
    EXPECT_EQ(compile(R"({"born": {"$ne": {"$year": 2024}}})").sql, time_cmp("$1", "<>", "$2"));
    // As a bound.
    CompiledFilter b = compile(R"({"born": {"$gte": {"$year": 2024, "$month": 2, "$day": 29, "$hour": 23,
                                                       "$minute": 59, "$second": 58, "$millisecond": 5,
                                                       "$microsecond": 6, "$nanosecond": 7}}})");
    EXPECT_EQ(b.sql, time_cmp("$1", ">=", "$2"));
    EXPECT_EQ(b.params[1], timestamptz("2024-02-29T23:59:58.005006007Z"));
    EXPECT_EQ(compile(R"({"t": {"$lt": {"$year": 1, "$month": 1, "$day": 1, "$hour": 0, "$minute": 0, "$second": 0,
                                          "$microsecond": 999999}}})")
                  .params[1],
              timestamptz("0001-01-01T00:00:00.999999000Z"));
    // In $in.
    EXPECT_EQ(compile(R"({"born": {"$in": [{"$year": 2024}, "x"]}})").sql,
              "(" + time_cmp("$1", "=", "$2") + " OR " + eq("$1", "$3") + ")");
}

TEST(WhereCompilerDatetime, BadComponentObjects) {
    EXPECT_FILTER_ERROR(R"({"d": {"$month": 5}})", "where.d", "needs $year");
    EXPECT_FILTER_ERROR(R"({"d": {"$year": 2024, "$day": 5}})", "where.d", "$day needs $month");
    EXPECT_FILTER_ERROR(R"({"d": {"$year": 2024, "$month": 1, "$day": 1, "$millisecond": 5}})", "where.d",
                        "need $second");
    EXPECT_FILTER_ERROR(R"({"d": {"$year": 2023, "$month": 2, "$day": 29}})", "where.d.$day", "between 1 and 28");
    EXPECT_FILTER_ERROR(R"({"d": {"$year": 0}})", "where.d.$year", "between 1 and 9999");
    EXPECT_FILTER_ERROR(R"({"d": {"$year": 2024, "$month": 13}})", "where.d.$month", "between 1 and 12");
    EXPECT_FILTER_ERROR(R"({"d": {"$year": 2024.5}})", "where.d.$year", "non-negative integer");
    EXPECT_FILTER_ERROR(R"({"d": {"$year": "2024"}})", "where.d.$year", "not a string");
    EXPECT_FILTER_ERROR(R"({"d": {"$year": 2024, "$gt": 1}})", "where.d", "takes only $year");
    EXPECT_FILTER_ERROR(R"({"d": {"$gt": {"$month": 1}}})", "where.d.$gt", "needs $year");
    EXPECT_FILTER_ERROR(R"({"d": {"$gt": 1, "$month": 1}})", "where.d", "takes only $year");
    EXPECT_FILTER_ERROR(R"({"d": {"$year": 2024, "$month": 1, "$day": 1, "$hour": 1, "$minute": 1, "$second": 1,
                                   "$millisecond": 1, "$microsecond": 1000}})",
                        "where.d.$microsecond", "between 0 and 999");
}

// ---------------------------------------------------------------------------
// Errors

TEST(WhereCompilerErrors, FilterMustBeAnObject) {
    EXPECT_FILTER_ERROR("[]", "where", "a filter must be a JSON object");
    EXPECT_FILTER_ERROR("\"x\"", "where", "not a string");
    EXPECT_FILTER_ERROR(R"({"$and": [{"a": 1}, 5]})", "where.$and[1]", "a filter must be a JSON object");
}

TEST(WhereCompilerErrors, UnknownOperatorsListTheSupportedOnes) {
    EXPECT_FILTER_ERROR(R"({"name": {"$regex": "^J"}})", "where.name.$regex",
                        "unsupported operator \"$regex\"; the property operators are $eq, $ne, $gt, $gte, $lt, "
                        "$lte, $in, $nin, $contains, $startsWith, $endsWith, $exists, $type");
    EXPECT_FILTER_ERROR(R"({"name": {"$gt": 1, "$like": "J%"}})", "where.name.$like", "unsupported operator");
}

TEST(WhereCompilerErrors, DollarKeysAtFilterLevel) {
    EXPECT_FILTER_ERROR(R"({"$where": "1=1"})", "where.$where", "unknown logical operator \"$where\"");
    EXPECT_FILTER_ERROR(R"({"$gt": 5})", "where.$gt", "$gt applies to a property");
    EXPECT_FILTER_ERROR(R"({"$year": 2024})", "where.$year", "unknown logical operator");
    EXPECT_FILTER_ERROR(R"({"age": {"$or": [["x"]]}})", "where.age.$or[0]", "not arrays");
    EXPECT_FILTER_ERROR(R"({"age": {"$or": {"x": 1}}})", "where.age.$or.x", "combines that property's operators");
    EXPECT_FILTER_ERROR(R"({"age": {"$and": 5}})", "where.age.$and", "not a number");
}

TEST(WhereCompilerErrors, LogicalOperandTypes) {
    EXPECT_FILTER_ERROR(R"({"$and": []})", "where.$and", "$and needs at least one condition");
    // An empty object is the empty filter: it matches every record.
    EXPECT_EQ(compile(R"({"$and": {}})").sql, "TRUE");
    EXPECT_EQ(compile(R"({"$not": {}})").sql, "(NOT TRUE)");
    EXPECT_FILTER_ERROR(R"({"$or": "a"})", "where.$or", "$or takes an array of filter objects or one object");
    EXPECT_FILTER_ERROR(R"({"$xor": []})", "where.$xor", "$xor needs at least one condition");
    EXPECT_FILTER_ERROR(R"({"$not": 5})", "where.$not", "not a number");
}

TEST(WhereCompilerErrors, ComparisonOperandTypes) {
    EXPECT_FILTER_ERROR(R"({"age": {"$gt": {"x": 1}}})", "where.age.$gt",
                        "$gt takes a number, an ISO-8601 datetime string or a datetime component object, not an "
                        "object of other keys");
    EXPECT_FILTER_ERROR(R"({"age": {"$lte": true}})", "where.age.$lte", "not a boolean");
    EXPECT_FILTER_ERROR(R"({"age": {"$lt": null}})", "where.age.$lt", "not a null");
    EXPECT_FILTER_ERROR(R"({"age": {"$gte": [1]}})", "where.age.$gte", "not an array");
    EXPECT_FILTER_ERROR(R"({"age": {"$gt": "18"}})", "where.age.$gt",
                        "$gt compares numbers or ISO-8601 datetimes, and this string is neither");
    EXPECT_FILTER_ERROR(R"({"d": {"$gt": "2023-02-29"}})", "where.d.$gt", "is neither");
    EXPECT_FILTER_ERROR(R"({"d": {"$gt": "2023-01-01 10:00"}})", "where.d.$gt", "YYYY-MM-DD");
}

TEST(WhereCompilerErrors, ListOperandTypes) {
    EXPECT_FILTER_ERROR(R"({"tags": {"$in": "a"}})", "where.tags.$in",
                        "$in takes an array of strings, numbers, booleans, nulls or datetime component objects, not "
                        "a string");
    EXPECT_FILTER_ERROR(R"({"tags": {"$nin": {"a": 1}}})", "where.tags.$nin", "not an object");
    EXPECT_FILTER_ERROR(R"({"tags": {"$in": ["a", {"b": 1}]}})", "where.tags.$in[1]",
                        "$in values must be strings, numbers, booleans, null or datetime component objects, not an "
                        "object");
    EXPECT_FILTER_ERROR(R"({"tags": {"$in": [["a"]]}})", "where.tags.$in[0]", "not an array");
}

TEST(WhereCompilerErrors, OtherOperandTypes) {
    EXPECT_FILTER_ERROR(R"({"a": {"$exists": "yes"}})", "where.a.$exists", "$exists takes true or false, not a string");
    EXPECT_FILTER_ERROR(R"({"a": {"$exists": 1}})", "where.a.$exists", "not a number");
    EXPECT_FILTER_ERROR(R"({"a": {"$contains": 5}})", "where.a.$contains", "$contains takes a string, not a number");
    EXPECT_FILTER_ERROR(R"({"a": {"$startsWith": null}})", "where.a.$startsWith", "not a null");
    EXPECT_FILTER_ERROR(R"({"a": {"$endsWith": ["x"]}})", "where.a.$endsWith", "not an array");
    EXPECT_FILTER_ERROR(R"({"a": {"$ne": {"b": 1}}})", "where.a.$ne",
                        "$ne takes a string, number, boolean, null or datetime component object");
    EXPECT_FILTER_ERROR(R"({"a": {"$eq": [1]}})", "where.a.$eq", "not an array");
    EXPECT_FILTER_ERROR(R"({"a": {"$eq": {"b": 1}}})", "where.a.$eq", "not an object");
    EXPECT_FILTER_ERROR(R"({"a": {"$type": "vector"}})", "where.a.$type", "not \"vector\"");
    EXPECT_FILTER_ERROR(R"({"a": {"$type": 1}})", "where.a.$type", "not a number");
}

TEST(WhereCompilerErrors, PropertyValueShapes) {
    EXPECT_FILTER_ERROR(R"({"a": []})", "where.a", "an empty array is no condition");
    EXPECT_FILTER_ERROR(R"({"a": [["x"]]})", "where.a[0]", "an array inside an array");
    EXPECT_FILTER_ERROR(R"({"a": {}})", "where.a", "an operator object needs at least one operator");
    EXPECT_FILTER_ERROR(R"({"address": {"city": "Paris"}})", "where.address.city", "related-record filters");
    EXPECT_FILTER_ERROR(R"({"a": {"$gt": 1, "b": 2}})", "where.a.b", "related-record filters");
    EXPECT_FILTER_ERROR(R"({"": 1})", "where[\"\"]", "property names cannot be empty");
}

TEST(WhereCompilerErrors, ReservedRecordFields) {
    for (const char* key : {"__id", "__label", "__proptypes", "__score", "__vectors"}) {
        const std::string k = key;
        EXPECT_FILTER_ERROR("{\"" + k + "\": \"x\"}", "where." + k, "\"" + k + "\" is a record field, not a property");
    }
    EXPECT_FILTER_ERROR(R"({"$or": [{"__id": {"$in": ["x"]}}]})", "where.$or[0].__id", "record field");
}

TEST(WhereCompilerErrors, NestingDeeperThan32Levels) {
    std::string json = R"({"a": 1})";
    for (int i = 1; i < 33; ++i) json = R"({"$not": )" + json + "}";
    std::string path = "where";
    for (int i = 1; i < 33; ++i) path += ".$not";
    EXPECT_FILTER_ERROR(json, path, "at most 32 levels");

    std::string lists = R"({"a": 1})";
    for (int i = 1; i < 33; ++i) lists = R"({"$or": [{"b": 2}, )" + lists + "]}";
    // The first filter found at level 33 is the innermost list's first element.
    std::string lists_path = "where";
    for (int i = 1; i < 32; ++i) lists_path += ".$or[1]";
    EXPECT_FILTER_ERROR(lists, lists_path + ".$or[0]", "at most 32 levels");
}

FilterLimitError::Limit limit_of(const std::string& json, const CompileOptions& o) {
    try {
        compile_where(parse_json(json), o);
    } catch (const FilterLimitError& e) {
        return e.limit();
    }
    ADD_FAILURE() << "no FilterLimitError for " << json.substr(0, 200);
    return FilterLimitError::Limit::params;
}

TEST(WhereCompilerErrors, LogicInsideAPropertyCountsTowardsTheDepth) {
    // {"a": {"$not": {"$not": ... {"$eq": 1}}}}: 31 levels pass, 33 do not,
    // in the object form and the array form, and after filter-level nesting.
    auto nested = [](int n, bool array) {
        std::string j = R"({"a": )";
        for (int i = 0; i < n; ++i) j += array ? R"({"$or": [)" : R"({"$not": )";
        j += R"({"$eq": 1})";
        for (int i = 0; i < n; ++i) j += array ? "]}" : "}";
        return j + "}";
    };
    EXPECT_NO_THROW(compile(nested(31, false)));
    EXPECT_NO_THROW(compile(nested(31, true)));
    EXPECT_EQ(limit_of(nested(33, false), opts()), FilterLimitError::Limit::depth);
    EXPECT_EQ(limit_of(nested(33, true), opts()), FilterLimitError::Limit::depth);
    std::string outer = nested(20, false);
    for (int i = 0; i < 20; ++i) outer = R"({"$and": [)" + outer + "]}";
    EXPECT_EQ(limit_of(outer, opts()), FilterLimitError::Limit::depth);
}

TEST(WhereCompilerErrors, MoreThanAThousandNodes) {
    std::string json = R"({"n": {"$in": [)";
    for (int i = 0; i < 999; ++i) json += (i ? "," : "") + std::to_string(i);
    json += "]}}";
    EXPECT_FILTER_ERROR(json, "where.n.$in[998]", "more than 1000 nodes");
    EXPECT_EQ(limit_of(json, opts()), FilterLimitError::Limit::nodes);

    // The reproducer of the security report: 100,000 identical clauses stop
    // at the limit, before any SQL for them is built.
    std::string many = R"({"$and": [)";
    for (int i = 0; i < 100000; ++i) many += std::string(i ? "," : "") + R"({"name": "a"})";
    many += "]}";
    EXPECT_FILTER_ERROR(many, "where.$and[499].name", "more than 1000 nodes");

    CompileOptions small = opts();
    small.max_nodes = 2;
    EXPECT_NO_THROW(compile_where(parse_json(R"({"a": 1})"), small));
    EXPECT_EQ(limit_of(R"({"a": 1, "b": 2})", small), FilterLimitError::Limit::nodes);
    EXPECT_EQ(limit_of(R"({"$not": {"a": 1}})", small), FilterLimitError::Limit::nodes);
}

TEST(WhereCompilerErrors, NestingLimitIsALimitError) {
    std::string json = R"({"a": 1})";
    for (int i = 1; i < 33; ++i) json = R"({"$not": )" + json + "}";
    EXPECT_EQ(limit_of(json, opts()), FilterLimitError::Limit::depth);
}

TEST(WhereCompilerErrors, SqlSizeLimit) {
    CompileOptions c = opts();
    c.max_sql_bytes = 2000;
    std::string json = R"({"$or": [)";
    for (int i = 0; i < 20; ++i) json += std::string(i ? "," : "") + R"({"a": {"$startsWith": "x"}})";
    json += "]}";
    EXPECT_EQ(limit_of(json, c), FilterLimitError::Limit::sql_bytes);
    try {
        compile_where(parse_json(json), c);
    } catch (const FilterLimitError& e) {
        EXPECT_NE(e.message().find("more than 2000 bytes of SQL"), std::string::npos) << e.message();
    }
    // A single condition over the limit is caught too.
    c.max_sql_bytes = 50;
    EXPECT_EQ(limit_of(R"({"a": 1})", c), FilterLimitError::Limit::sql_bytes);
    // And every compiled filter respects it.
    c.max_sql_bytes = 4000;
    for (int n = 1; n < 20; ++n) {
        std::string j = R"({"$and": [)";
        for (int i = 0; i < n; ++i) j += std::string(i ? "," : "") + R"({"a": {"$gt": 1}})";
        j += "]}";
        try {
            EXPECT_LE(compile_where(parse_json(j), c).sql.size(), 4000u);
        } catch (const FilterLimitError& e) {
            EXPECT_EQ(e.limit(), FilterLimitError::Limit::sql_bytes);
        }
    }
}

TEST(WhereCompilerErrors, PlaceholdersStopAt65535) {
    CompileOptions c = opts(65533);
    EXPECT_NO_THROW(compile_where(parse_json(R"({"a": 1, "b": {"$exists": true}})"), c));  // $65533..$65535
    EXPECT_EQ(limit_of(R"({"a": 1, "b": 2})", c), FilterLimitError::Limit::params);
    // Array elements have no such limit.
    c.param_array = 1;
    EXPECT_NO_THROW(compile_where(parse_json(R"({"a": 1, "b": 2})"), c));
}

TEST(WhereCompilerErrors, TextPostgresCannotStore) {
    EXPECT_FILTER_ERROR(R"({"a\u0000b": 1})", "where[\"a\\u0000b\"]", "NUL character");
    EXPECT_FILTER_ERROR(R"({"a": "x\u0000"})", "where.a", "NUL character");
    EXPECT_FILTER_ERROR(R"({"a": {"$contains": "\u0000"}})", "where.a.$contains", "NUL character");

    JsonValue bad = JsonValue::object();
    bad.add("k", JsonValue::string("\xff"));
    try {
        compile_where(bad, opts());
        ADD_FAILURE() << "invalid UTF-8 accepted";
    } catch (const FilterError& e) {
        EXPECT_EQ(e.path(), "where.k");
        EXPECT_NE(e.message().find("not valid UTF-8"), std::string::npos);
    }
    JsonValue bad_key = JsonValue::object();
    bad_key.add("k\xc3", JsonValue::number(1));
    try {
        compile_where(bad_key, opts());
        ADD_FAILURE() << "invalid UTF-8 key accepted";
    } catch (const FilterError& e) {
        EXPECT_EQ(e.path(), "where[\"k\\xc3\"]");
    }
}

TEST(WhereCompilerErrors, PathsQuoteUnusualNames) {
    EXPECT_FILTER_ERROR(R"({"first name": {"$gt": {}}})", "where[\"first name\"].$gt", "not an object");
    EXPECT_FILTER_ERROR(R"({"$or": [{"a\"b": {"$x": 1}}]})", "where.$or[0][\"a\\\"b\"].$x", "unsupported");
    EXPECT_FILTER_ERROR(R"({"_a1": {"$x": 1}})", "where._a1.$x", "unsupported");
    EXPECT_FILTER_ERROR(R"({"1a": {"$x": 1}})", "where[\"1a\"].$x", "unsupported");
}

TEST(WhereCompilerErrors, InvalidOptionsAreProgrammingErrors) {
    const JsonValue f = parse_json(R"({"a": 1})");
    for (const char* expr :
         {"", "r.", ".r", "r properties", "r.properties; DROP", "\"r\".p", "a.b.c.d", "1r", "rushdb_e.v", "RUSHDB_E"}) {
        CompileOptions o;
        o.properties_expr = expr;
        EXPECT_THROW(compile_where(f, o), std::invalid_argument) << expr;
    }
    for (const char* expr : {"properties", "r.properties", "rushdb.records.properties", "R_1.Props"}) {
        CompileOptions o;
        o.properties_expr = expr;
        EXPECT_NO_THROW(compile_where(f, o)) << expr;
    }
    CompileOptions o;
    o.first_param = 0;
    EXPECT_THROW(compile_where(f, o), std::invalid_argument);
    o.first_param = 65536;
    EXPECT_THROW(compile_where(f, o), std::invalid_argument);
    o.first_param = 65534;
    EXPECT_NO_THROW(compile_where(f, o));
    o.first_param = 1;
    o.param_array = -1;
    EXPECT_THROW(compile_where(f, o), std::invalid_argument);
    o.param_array = 65536;
    EXPECT_THROW(compile_where(f, o), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// Property test: caller strings never reach the SQL text.
//
// Random filters (fixed seeds) use marker strings full of SQL metacharacters
// as property names and values. For every filter: no marker appears in the
// SQL; the SQL is made only of this compiler's vocabulary, parameter
// placeholders in range, and the properties expression; and every parameter
// is used.

namespace {

const std::vector<std::string> kMarkers = {
    "MARK'; DROP TABLE rushdb.records; --",
    "MARK\" OR 1=1 --",
    "MARK$1::text",
    "MARK\\' OR TRUE)) --",
    "MARK'||pg_sleep(10)||'",
    "MARK %_ */ /*",
    "MARK ünïcødé ☃ 'quote'",
    "MARK rushdb_e.v #>> '{}'",
    "MARK\n\t;",
};

class FilterGenerator {
public:
    explicit FilterGenerator(unsigned seed) : rng_(seed) {}

    JsonValue filter(int depth) {
        JsonValue f = JsonValue::object();
        const int n = pick(0, 3);
        for (int i = 0; i < n; ++i) {
            const int r = pick(0, 11);
            if (depth < 4 && r == 0)
                f.add("$and", list(depth));
            else if (depth < 4 && r == 1)
                f.add("$or", list(depth));
            else if (depth < 4 && r == 2)
                f.add("$not", filter(depth + 1));
            else if (depth < 4 && r == 3)
                f.add("$nor", list(depth));
            else if (depth < 4 && r == 4)
                f.add("$xor", pick(0, 1) ? list(depth) : filter(depth + 1));
            else
                f.add(marker() + std::to_string(counter_++), property());
        }
        return f;
    }

private:
    int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    std::string marker() { return kMarkers[static_cast<std::size_t>(pick(0, static_cast<int>(kMarkers.size()) - 1))]; }

    JsonValue list(int depth) {
        JsonValue a = JsonValue::array();
        const int n = pick(1, 3);
        for (int i = 0; i < n; ++i) a.push_back(filter(depth + 1));
        return a;
    }

    JsonValue scalar() {
        switch (pick(0, 3)) {
            case 0:
                return JsonValue::number(pick(-1000, 1000) / 8.0);
            case 1:
                return JsonValue::boolean(pick(0, 1) == 1);
            default:
                return JsonValue::string(marker());
        }
    }

    JsonValue property() {
        if (pick(0, 3) == 0) return scalar();
        JsonValue ops = JsonValue::object();
        static const char* kOps[] = {"$ne",  "$gt",       "$gte",        "$lt",       "$lte",    "$in",
                                     "$nin", "$contains", "$startsWith", "$endsWith", "$exists", "$eq"};
        const int n = pick(1, 3);
        for (int i = 0; i < n; ++i) {
            const std::string op = kOps[pick(0, 11)];
            if (ops.find(op)) continue;
            if (op == "$ne" || op == "$eq")
                ops.add(op, scalar());
            else if (op == "$exists")
                ops.add(op, JsonValue::boolean(pick(0, 1) == 1));
            else if (op == "$in" || op == "$nin") {
                JsonValue a = JsonValue::array();
                const int m = pick(0, 4);
                for (int j = 0; j < m; ++j) a.push_back(scalar());
                ops.add(op, a);
            } else if (op[1] == 'g' || op[1] == 'l') {
                ops.add(op, pick(0, 1) ? JsonValue::number(pick(-50, 50))
                                       : JsonValue::string("2024-0" + std::to_string(pick(1, 9)) + "-1" +
                                                           std::to_string(pick(0, 9)) + "T12:00:00+01:00"));
            } else {
                ops.add(op, JsonValue::string(marker()));
            }
        }
        return ops;
    }

    std::mt19937 rng_;
    int counter_ = 0;
};

// The same filter with every property name and every value replaced
// (datetimes, booleans and operators kept: they are part of the shape).
JsonValue relabel(const JsonValue& v) {
    switch (v.type()) {
        case rushdb::json::JsonType::number:
            return JsonValue::number(7);
        case rushdb::json::JsonType::string: {
            const std::string& s = v.as_string();
            if (s.size() >= 10 && std::isdigit(static_cast<unsigned char>(s[0]))) return v;  // a datetime
            return JsonValue::string("other");
        }
        case rushdb::json::JsonType::array: {
            JsonValue a = JsonValue::array();
            for (const JsonValue& item : v.as_array()) a.push_back(relabel(item));
            return a;
        }
        case rushdb::json::JsonType::object: {
            JsonValue o = JsonValue::object();
            int n = 0;
            for (const auto& m : v.as_object())
                o.add(!m.key.empty() && m.key[0] == '$' ? m.key : "renamed" + std::to_string(n++), relabel(m.value));
            return o;
        }
        default:
            return v;
    }
}

// Splits SQL into words, quoted literals, placeholders and punctuation, and
// checks each against the compiler's fixed vocabulary.
void check_sql_vocabulary(const std::string& sql, const std::string& properties_expr, int first, std::size_t nparams) {
    static const std::set<std::string> kWords = {
        "SELECT", "FROM", "WHERE", "EXISTS", "AS", "AND", "OR", "NOT", "TRUE", "FALSE", "CASE", "WHEN", "THEN", "ELSE",
        "END", "IS", "NULL", "LEAST", "rushdb_internal.prop_values", "rushdb_internal.try_timestamptz",
        "rushdb_internal.number_range", "rushdb_internal.instant_range", "pg_catalog.numrange", "pg_catalog.tstzrange",
        "rushdb_e", "rushdb_e.v", "v", "pg_catalog.jsonb_typeof", "pg_catalog.jsonb_build_object",
        "pg_catalog.jsonb_build_array", "pg_catalog.strpos", "pg_catalog.left", "pg_catalog.right", "pg_catalog.length",
        "pg_catalog.text", "pg_catalog.numeric", "pg_catalog.jsonb", "pg_catalog.timestamptz", "pg_catalog.translate",
        // OPERATOR(pg_catalog.op): the word, "(", "pg_catalog." and the operator.
        "OPERATOR", "pg_catalog."};
    static const std::set<std::string> kLiterals = {"'number'",
                                                    "'string'",
                                                    "'null'",
                                                    "'{}'",
                                                    "'[)'",
                                                    "'(]'",
                                                    "'[]'",
                                                    "'()'",
                                                    "'ABCDEFGHIJKLMNOPQRSTUVWXYZ'",
                                                    "'abcdefghijklmnopqrstuvwxyz'"};
    static const std::set<std::string> kNumbers = {"0", "1"};
    static const std::set<std::string> kPunctuation = {"(", ")",  ",", "::", "@>", "?",  "->", "#>>",
                                                       "=", "<>", ">", ">=", "<",  "<=", "&&"};
    std::vector<bool> used(nparams, false);
    std::size_t i = 0;
    while (i < sql.size()) {
        const char c = sql[i];
        if (c == ' ') {
            ++i;
        } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            std::size_t j = i;
            while (j < sql.size() &&
                   (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_' || sql[j] == '.'))
                ++j;
            const std::string word = sql.substr(i, j - i);
            EXPECT_TRUE(kWords.count(word) || word == properties_expr) << "word '" << word << "' in " << sql;
            i = j;
        } else if (c == '\'') {
            const std::size_t j = sql.find('\'', i + 1);
            ASSERT_NE(j, std::string::npos) << sql;
            const std::string literal = sql.substr(i, j + 1 - i);
            EXPECT_TRUE(kLiterals.count(literal)) << "literal " << literal << " in " << sql;
            i = j + 1;
        } else if (c == '$') {
            std::size_t j = i + 1;
            while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) ++j;
            ASSERT_GT(j, i + 1) << sql;
            const long n = std::stol(sql.substr(i + 1, j - i - 1));
            ASSERT_GE(n, first);
            ASSERT_LT(n, first + static_cast<long>(nparams));
            used[static_cast<std::size_t>(n - first)] = true;
            ASSERT_EQ(sql.compare(j, 2, "::"), 0) << "placeholder without a cast in " << sql;
            i = j;
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            std::size_t j = i;
            while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) ++j;
            EXPECT_TRUE(kNumbers.count(sql.substr(i, j - i))) << sql;
            i = j;
        } else {
            // Longest punctuation token first ("#>>" before ">", "<>" before "<").
            std::size_t len = 3;
            while (len > 0 && !kPunctuation.count(sql.substr(i, len))) --len;
            ASSERT_GT(len, 0u) << "unexpected character '" << c << "' in " << sql;
            i += len;
        }
    }
    for (std::size_t k = 0; k < nparams; ++k) EXPECT_TRUE(used[k]) << "parameter " << k + first << " unused";
}

}  // namespace

TEST(WhereCompilerProperty, CallerStringsOnlyEverReachParameters) {
    int compiled = 0;
    for (unsigned seed = 1; seed <= 400; ++seed) {
        FilterGenerator gen(seed);
        const JsonValue where = gen.filter(1);
        const int first = 1 + static_cast<int>(seed % 5);
        CompileOptions o;
        o.properties_expr = seed % 2 ? "r.properties" : "properties";
        o.first_param = first;
        // Half the runs with range indexes on every property (overlaps).
        if (seed % 4 < 2) o.range_indexed = [](const char*, const std::string&) { return true; };
        CompiledFilter f = compile_where(where, o);
        ++compiled;

        EXPECT_EQ(f.sql.find("MARK"), std::string::npos) << f.sql;
        EXPECT_EQ(f.sql.find(';'), std::string::npos) << f.sql;
        EXPECT_EQ(f.sql.find("--"), std::string::npos) << f.sql;
        EXPECT_EQ(f.sql.find("/*"), std::string::npos) << f.sql;
        check_sql_vocabulary(f.sql, o.properties_expr, first, f.params.size());

        // Every name and string operand is a marker, so every text parameter
        // holds one, whole: they went into parameters and nowhere else.
        for (const Param& p : f.params)
            if (p.kind == ParamKind::text) {
                EXPECT_EQ(p.text.rfind("MARK", 0), 0u) << p.text;
            }
        // The SQL is the shape's: the same filter with other names and
        // values compiles to the same text.
        EXPECT_EQ(compile_where(relabel(where), o).sql, f.sql);
    }
    EXPECT_EQ(compiled, 400);
}

// Arbitrary JSON, valid filter or not: the compiler either compiles it with
// the same guarantees or rejects it with a FilterError, never anything else.
TEST(WhereCompilerProperty, ArbitraryJsonCompilesOrFailsCleanly) {
    std::mt19937 rng(20240601);
    auto pick = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    static const char* kKeys[] = {"$and",      "$or", "$not",   "$in",  "$nin", "$gt",    "$lte", "$exists",
                                  "$contains", "$ne", "$regex", "__id", "name", "MARK'x", ""};
    std::function<JsonValue(int)> any = [&](int depth) -> JsonValue {
        const int r = pick(0, depth > 5 ? 4 : 7);
        switch (r) {
            case 0:
                return JsonValue::null();
            case 1:
                return JsonValue::boolean(pick(0, 1));
            case 2:
                return JsonValue::number(pick(-9, 9));
            case 3:
                return JsonValue::string(pick(0, 1) ? "MARK'; --" : "2024-01-01");
            case 4:
                return JsonValue::string("x");
            case 5: {
                JsonValue a = JsonValue::array();
                for (int i = pick(0, 3); i > 0; --i) a.push_back(any(depth + 1));
                return a;
            }
            default: {
                JsonValue o = JsonValue::object();
                for (int i = pick(0, 3); i > 0; --i) o.add(kKeys[pick(0, 14)], any(depth + 1));
                return o;
            }
        }
    };
    int ok = 0, rejected = 0;
    for (int i = 0; i < 3000; ++i) {
        JsonValue where = any(0);
        try {
            CompiledFilter f = compile_where(where, opts());
            ++ok;
            EXPECT_EQ(f.sql.find("MARK"), std::string::npos) << f.sql;
            check_sql_vocabulary(f.sql, "r.properties", 1, f.params.size());
        } catch (const FilterError& e) {
            ++rejected;
            EXPECT_EQ(e.path().rfind("where", 0), 0u) << e.path();
            EXPECT_FALSE(e.message().empty());
        }
    }
    EXPECT_GT(ok, 100);
    EXPECT_GT(rejected, 100);
}
