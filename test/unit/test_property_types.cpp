// __proptypes inference, the reserved-key rules for writes, and the ISO-8601
// datetime grammar shared with the filter compiler.
#include <gtest/gtest.h>

#include <string>

#include "json/json_value.hpp"
#include "records/property_types.hpp"

using namespace rushdb::records;
using rushdb::json::JsonValue;
using rushdb::json::parse_json;
using rushdb::json::to_json;

namespace {

std::string types_of(const std::string& properties) {
    return to_json(property_types_json(infer_property_types(parse_json(properties))));
}

PropertyError error_of(const std::string& properties) {
    try {
        infer_property_types(parse_json(properties));
    } catch (const PropertyError& e) {
        return e;
    }
    ADD_FAILURE() << "no PropertyError for " << properties;
    return PropertyError("", "");
}

#define EXPECT_PROPERTY_ERROR(json, expected_key, message_part)                               \
    do {                                                                                      \
        PropertyError e_ = error_of(json);                                                    \
        EXPECT_EQ(e_.key(), expected_key);                                                    \
        EXPECT_NE(std::string(e_.what()).find(message_part), std::string::npos) << e_.what(); \
    } while (0)

}  // namespace

TEST(PropertyTypes, ScalarsInKeyOrder) {
    EXPECT_EQ(
        types_of(R"({"name": "Ann", "age": 31, "active": true, "born": "1993-04-05", "seen": "2024-01-02T03:04:05Z"})"),
        R"({"name":"string","age":"number","active":"boolean","born":"datetime","seen":"datetime"})");
    EXPECT_EQ(types_of("{}"), "{}");
}

TEST(PropertyTypes, NullAndEmptyArraysAreUntyped) {
    EXPECT_EQ(types_of(R"({"a": null, "b": [], "c": 1})"), R"({"c":"number"})");
}

TEST(PropertyTypes, ArraysTakeTheirElementsType) {
    EXPECT_EQ(types_of(R"({"tags": ["a", "b"], "scores": [1, 2.5], "flags": [true, false]})"),
              R"({"tags":"string","scores":"number","flags":"boolean"})");
    EXPECT_EQ(types_of(R"({"days": ["2024-01-01", "2024-02-29T12:00"]})"), R"({"days":"datetime"})");
    // A datetime is a string with a stricter form: mixed, they are strings.
    EXPECT_EQ(types_of(R"({"notes": ["2024-01-01", "soon"]})"), R"({"notes":"string"})");
    EXPECT_EQ(types_of(R"({"notes": ["soon", "2024-01-01"]})"), R"({"notes":"string"})");
}

TEST(PropertyTypes, MixedArraysAreErrors) {
    EXPECT_PROPERTY_ERROR(R"({"mix": [1, "a"]})", "mix",
                          "property \"mix\" mixes number and string values (index 1); all elements of an array "
                          "property must have one type");
    EXPECT_PROPERTY_ERROR(R"({"mix": ["2024-01-01", true]})", "mix", "mixes datetime and boolean");
    EXPECT_PROPERTY_ERROR(R"({"mix": [true, true, 3]})", "mix", "(index 2)");
    EXPECT_PROPERTY_ERROR(R"({"n": [1, null]})", "n", "array properties cannot contain null");
}

TEST(PropertyTypes, NestedObjectsAreErrors) {
    EXPECT_PROPERTY_ERROR(R"({"address": {"city": "Paris"}})", "address",
                          "RushDB properties are flat: store nested data as a separate record");
    EXPECT_PROPERTY_ERROR(R"({"items": [{"a": 1}]})", "items", "holds an object inside its array");
    EXPECT_PROPERTY_ERROR(R"({"grid": [[1, 2]]})", "grid", "holds an array inside its array");
}

TEST(PropertyTypes, PropertiesMustBeAnObject) {
    EXPECT_PROPERTY_ERROR("[1]", "", "record properties must be a JSON object, not array");
    EXPECT_PROPERTY_ERROR("null", "", "not null");
}

TEST(PropertyTypes, ReservedKeysOnWrite) {
    for (const char* key : {"__id", "__label", "__proptypes", "__score"}) {
        EXPECT_PROPERTY_ERROR(std::string("{\"") + key + "\": 1}", key, "is a reserved record field");
    }
    EXPECT_PROPERTY_ERROR(R"({"__vectors": []})", "__vectors", "\"__vectors\" carries vectors");
    EXPECT_PROPERTY_ERROR(R"({"ok": 1, "$set": 1})", "$set", "starts with '$'");
    EXPECT_PROPERTY_ERROR(R"({"": 1})", "", "property names cannot be empty");
    // Only these: other names with underscores or dollars inside are fine.
    EXPECT_EQ(types_of(R"({"_id": 1, "__other": 2, "a$b": 3, "id": 4})"),
              R"({"_id":"number","__other":"number","a$b":"number","id":"number"})");
    EXPECT_NO_THROW(check_writable_key("label"));
    EXPECT_THROW(check_writable_key("__label"), PropertyError);
}

TEST(PropertyTypes, DuplicateKeysInAHandBuiltObject) {
    JsonValue o = JsonValue::object();
    o.add("a", JsonValue::number(1));
    o.add("a", JsonValue::number(2));
    EXPECT_THROW(infer_property_types(o), PropertyError);
}

TEST(PropertyTypes, TypeNames) {
    EXPECT_STREQ(type_name(PropertyType::string), "string");
    EXPECT_STREQ(type_name(PropertyType::number), "number");
    EXPECT_STREQ(type_name(PropertyType::boolean), "boolean");
    EXPECT_STREQ(type_name(PropertyType::datetime), "datetime");
}

TEST(Iso8601, AcceptedForms) {
    for (const char* s : {"2024-01-31", "2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31", "2024-06-01T00:00",
                          "2024-06-01T23:59:59", "2024-06-01T12:30:00.1", "2024-06-01T12:30:00.123456789",
                          "2024-06-01T12:30Z", "2024-06-01T12:30:15Z", "2024-06-01T12:30:15.5+05:30",
                          "2024-06-01T12:30-14:59", "2024-06-01T12:30:00+00:00", "2024-06-01T12:30:00-00:00"}) {
        EXPECT_TRUE(is_iso8601_datetime(s)) << s;
    }
}

TEST(Iso8601, RejectedForms) {
    for (const char* s : {"",
                          "2024",
                          "2024-01",
                          "24-01-01",
                          "2024-1-01",
                          "2024-01-1",
                          "2024/01/01",
                          "0000-01-01",
                          "2024-00-10",
                          "2024-13-01",
                          "2024-01-00",
                          "2024-01-32",
                          "2024-04-31",
                          "2023-02-29",
                          "1900-02-29",
                          "2100-02-29",
                          "2024-01-01T",
                          "2024-01-01T1:00",
                          "2024-01-01T24:00",
                          "2024-01-01T12:60",
                          "2024-01-01T12:00:60",
                          "2024-01-01T12",
                          "2024-01-01 12:00",
                          "2024-01-01t12:00",
                          "2024-01-01T12:00z",
                          "2024-01-01T12:00:00.",
                          "2024-01-01T12:00:00.1234567890",
                          "2024-01-01T12:00.5",
                          "2024-01-01Z",
                          "2024-01-01T12:00+5:00",
                          "2024-01-01T12:00+0500",
                          "2024-01-01T12:00+15:00",
                          "2024-01-01T12:00+05:60",
                          "2024-01-01T12:00+05",
                          "2024-01-01T12:00Z ",
                          " 2024-01-01",
                          "2024-01-01T12:00:00ZZ",
                          "now",
                          "today",
                          "epoch",
                          "Jan 5 2024",
                          "+2024-01-01",
                          "２０２４-01-01"}) {
        EXPECT_FALSE(is_iso8601_datetime(s)) << s;
    }
}

TEST(Iso8601, NormalizedToAnExplicitInstant) {
    EXPECT_EQ(normalize_iso8601("2024-01-31"), "2024-01-31T00:00:00Z");
    EXPECT_EQ(normalize_iso8601("2024-01-31T10:20"), "2024-01-31T10:20:00Z");
    EXPECT_EQ(normalize_iso8601("2024-01-31T10:20Z"), "2024-01-31T10:20:00Z");
    EXPECT_EQ(normalize_iso8601("2024-01-31T10:20:30.25"), "2024-01-31T10:20:30.25Z");
    EXPECT_EQ(normalize_iso8601("2024-01-31T10:20+02:00"), "2024-01-31T10:20:00+02:00");
    EXPECT_EQ(normalize_iso8601("2024-01-31T10:20:30.5-03:30"), "2024-01-31T10:20:30.5-03:30");
    EXPECT_EQ(normalize_iso8601("2024-02-30"), std::nullopt);
    EXPECT_EQ(normalize_iso8601("soon"), std::nullopt);
}
