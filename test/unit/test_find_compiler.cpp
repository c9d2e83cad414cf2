// The find compiler (src/core/query): the SQL it writes for each form of a
// request, that caller strings only ever travel as parameters, and the
// errors (with their paths) for requests the language does not accept.
#include <gtest/gtest.h>

#include <string>

#include "json/json_value.hpp"
#include "query/find_compiler.hpp"

using rushdb::json::parse_json;
using rushdb::query::compile_find;
using rushdb::query::FindError;
using rushdb::query::FindOptions;
using rushdb::query::FindQuery;

namespace {

FindQuery compile(const std::string& json, const std::string& filter = "TRUE", std::size_t filter_params = 0) {
    FindOptions o;
    o.filter_r = filter;
    o.filter_c = filter == "TRUE" ? "TRUE" : "(c.x)";
    o.filter_params = filter_params;
    return compile_find(parse_json(json), o);
}

std::string error_of(const std::string& json) {
    try {
        compile(json);
    } catch (const FindError& e) {
        return e.what();
    }
    return "no error";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(FindCompiler, DefaultIsNewestFirstWithRushDbsPage) {
    FindQuery q = compile("{}");
    EXPECT_TRUE(contains(q.data_sql, "ORDER BY r.id DESC LIMIT 100 OFFSET 0")) << q.data_sql;
    EXPECT_EQ(q.count_sql, "SELECT pg_catalog.count(*) FROM rushdb.records r WHERE (TRUE)");
    EXPECT_TRUE(q.params.empty());
    EXPECT_FALSE(q.grouped);
}

TEST(FindCompiler, OneLabelIsAnEqualitySeveralAnAny) {
    FindQuery one = compile(R"({"labels": ["A"]})");
    EXPECT_TRUE(contains(one.count_sql, "r.label OPERATOR(pg_catalog.=) $1)")) << one.count_sql;
    EXPECT_EQ(one.params, (std::vector<std::string>{"A"}));
    FindQuery two = compile(R"({"labels": ["A", "B"]})");
    EXPECT_TRUE(contains(two.count_sql, "ANY (ARRAY[$1, $2]::pg_catalog.text[])")) << two.count_sql;
}

TEST(FindCompiler, ParametersFollowTheFilters) {
    FindQuery q = compile(R"({"labels": ["A"], "orderBy": {"age": "desc"}})", "(r.f = $1 AND r.g = $2)", 2);
    EXPECT_TRUE(contains(q.count_sql, "r.label OPERATOR(pg_catalog.=) $3)")) << q.count_sql;
    EXPECT_EQ(q.params.front(), "A");
    // A filter fences the matches off from the ordering (see per_row_query).
    EXPECT_TRUE(contains(q.data_sql, "OFFSET 0) f ORDER BY")) << q.data_sql;
    EXPECT_TRUE(contains(q.data_sql, "rushdb_internal.sort_key(((f.r).properties")) << q.data_sql;
}

TEST(FindCompiler, CallerStringsAreOnlyParameters) {
    const std::string mark = "MARK'\\\"; DROP TABLE x; --";
    const std::string json = R"({"labels": [")" + std::string("MARK'\\\"; DROP TABLE x; --") + R"("],
        "select": {")" + "MARK'\\\"; DROP TABLE x; --" +
                             R"(": {"$sum": "$record.MARK'\"; DROP TABLE x; --"},
                   "n": {"$count": "*"}, "c": {"$collect": {"from": "$record", "select": {"k": "$record.MARK'"}}}},
        "groupBy": ["$record.MARK'\"; DROP TABLE x; --"], "orderBy": {"n": "desc"}})";
    FindQuery q = compile(json);
    EXPECT_FALSE(contains(q.data_sql, "MARK")) << q.data_sql;
    EXPECT_FALSE(contains(q.count_sql, "MARK"));
    EXPECT_FALSE(contains(q.data_sql, ";"));
    bool saw = false;
    for (const auto& p : q.params) saw = saw || contains(p, "DROP TABLE");
    EXPECT_TRUE(saw);
}

TEST(FindCompiler, GroupedQueriesAggregateEveryMatch) {
    FindQuery q = compile(R"({"select": {"n": {"$count": "*"}, "s": {"$sum": "$record.x"}}, "groupBy": ["$record.k"],
                              "orderBy": {"n": "desc"}, "limit": 7, "skip": 2})");
    EXPECT_TRUE(q.grouped);
    EXPECT_TRUE(contains(q.data_sql, "pg_catalog.to_jsonb(pg_catalog.count(*)) AS a1")) << q.data_sql;
    // A JSON null and an absent property are one group.
    EXPECT_TRUE(contains(q.data_sql, "GROUP BY NULLIF((r.properties OPERATOR(pg_catalog.->) $")) << q.data_sql;
    // The page of groups is cut before the output (and any $collect) is computed.
    EXPECT_TRUE(contains(q.data_sql, "LIMIT 7 OFFSET 2) g ORDER BY")) << q.data_sql;
    EXPECT_TRUE(contains(q.data_sql, "LIMIT 7 OFFSET 2")) << q.data_sql;
    FindQuery self = compile(R"({"select": {"t": {"$sum": "$record.x"}}, "groupBy": ["t"]})");
    EXPECT_TRUE(contains(self.data_sql, "GROUP BY ()")) << self.data_sql;
}

TEST(FindCompiler, PerRecordAggregatesAreTheRecordsOwnValues) {
    FindQuery q = compile(R"({"select": {"one": {"$count": "*"}, "s": {"$sum": "$record.x"}}})");
    EXPECT_FALSE(contains(q.data_sql, "GROUP BY")) << q.data_sql;
    EXPECT_TRUE(contains(q.data_sql, "1::pg_catalog.int8")) << q.data_sql;
}

TEST(FindCompiler, LegacyAggregateIsTheSelectItStandsFor) {
    FindQuery legacy = compile(R"({"aggregate": {"n": {"fn": "count", "alias": "$record"},
                                                  "a": {"fn": "avg", "field": "x", "precision": 2}},
                                   "groupBy": ["$record.k"]})");
    FindQuery select = compile(R"({"select": {"n": {"$count": "*"}, "a": {"$avg": "$record.x", "$precision": 2}},
                                   "groupBy": ["$record.k"]})");
    EXPECT_EQ(legacy.data_sql, select.data_sql);
    EXPECT_EQ(legacy.params, select.params);
}

TEST(FindCompiler, RefChainsAreBounded) {
    // k_i = k_(i-1) + k_(i-1): the SQL doubles per key; refused, not built.
    std::string chain = R"({"select": {"k0": "$record.v")";
    for (int i = 1; i <= 24; ++i)
        chain += ", \"k" + std::to_string(i) + "\": {\"$add\": [{\"$ref\": \"k" + std::to_string(i - 1) +
                 "\"}, {\"$ref\": \"k" + std::to_string(i - 1) + "\"}]}";
    chain += "}}";
    // (The depth through $ref stops it first; the SQL cap is the backstop.)
    EXPECT_TRUE(contains(error_of(chain), "nested too deeply")) << error_of(chain);
    // Depth counts through $ref.
    std::string deep = R"({"select": {"k0": "$record.v")";
    for (int i = 1; i <= 20; ++i)
        deep += ", \"k" + std::to_string(i) + "\": {\"$add\": [{\"$ref\": \"k" + std::to_string(i - 1) + "\"}, 1]}";
    deep += "}}";
    EXPECT_TRUE(contains(error_of(deep), "nested too deeply")) << error_of(deep);
}

TEST(FindCompiler, OrderByTakesRushDbsRecordSpelling) {
    EXPECT_EQ(compile(R"({"orderBy": {"$record.age": "asc"}})").data_sql,
              compile(R"({"orderBy": {"age": "asc"}})").data_sql);
    EXPECT_TRUE(contains(error_of(R"({"orderBy": {"$emp.age": "asc"}})"), "only the root record"));
    EXPECT_TRUE(contains(error_of(R"({"orderBy": {"__proptypes": "asc"}})"), "only __id orders"));
    EXPECT_TRUE(contains(error_of(R"({"select": {"t": "$record.__proptypes"}})"), "only __id and __label"));
}

TEST(FindCompiler, Errors) {
    EXPECT_EQ(error_of("[]"), "find: find takes a JSON object {labels, where, orderBy, skip, limit, select, groupBy}");
    EXPECT_TRUE(contains(error_of(R"({"labell": []})"), "find.labell: unknown key")) << error_of(R"({"labell": []})");
    EXPECT_TRUE(contains(error_of(R"({"limit": 1001})"), "limit: limit must be a whole number from 1 to 1000"));
    EXPECT_TRUE(contains(error_of(R"({"skip": 1.5})"), "skip: skip must be a whole number"));
    EXPECT_TRUE(contains(error_of(R"({"orderBy": {"a": "sideways"}})"), "orderBy.a: a sort direction"));
    EXPECT_TRUE(contains(error_of(R"({"select": {"x": {"$sum": {"$max": "$record.a"}}}})"),
                         "select.x.$sum.$max: aggregates cannot be nested"));
    EXPECT_TRUE(contains(error_of(R"({"select": {"a": {"$ref": "a"}}})"), "select.a: circular $ref"));
    EXPECT_TRUE(contains(error_of(R"({"select": {"x": "$friend.name"}})"), "relationships"));
    EXPECT_TRUE(contains(error_of(R"({"select": {"t": {"$timeBucket": {"field": "$record.at", "unit": "hours"}}}})"),
                         "select.t.$timeBucket.size: size (a whole number of hours) is required"));
    EXPECT_TRUE(
        contains(error_of(R"({"select": {"n": {"$count": "*"}}, "groupBy": ["$record.k"], "orderBy": {"zz": "asc"}})"),
                 "orderBy.zz: with groupBy"));
    EXPECT_TRUE(contains(error_of(R"({"groupBy": ["$record.k"]})"), "groupBy: groupBy shapes the rows of select"));
    EXPECT_TRUE(contains(error_of(R"({"select": {"a": 1}, "aggregate": {"b": "$record.x"}})"), "not both"));
    std::string many = "{\"select\": {";
    for (int i = 0; i < 101; ++i) many += std::string(i ? ", " : "") + "\"k" + std::to_string(i) + "\": 1";
    EXPECT_TRUE(contains(error_of(many + "}}"), "select: at most 100 keys"));
}
