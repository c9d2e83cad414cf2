// The JSON model: strict RFC 8259 parsing (with byte offsets in errors),
// compact serialization, and the round trip between them.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "json/json_value.hpp"

using namespace rushdb::json;

namespace {

std::size_t error_offset(const std::string& text) {
    try {
        parse_json(text);
    } catch (const JsonParseError& e) {
        return e.offset();
    }
    ADD_FAILURE() << "parsed without error: " << text;
    return static_cast<std::size_t>(-1);
}

std::string error_reason(const std::string& text) {
    try {
        parse_json(text);
    } catch (const JsonParseError& e) {
        return e.reason();
    }
    ADD_FAILURE() << "parsed without error: " << text;
    return {};
}

}  // namespace

TEST(JsonParse, Scalars) {
    EXPECT_TRUE(parse_json("null").is_null());
    EXPECT_TRUE(parse_json("true").as_bool());
    EXPECT_FALSE(parse_json(" false ").as_bool());
    EXPECT_EQ(parse_json("\"hi\"").as_string(), "hi");
    EXPECT_EQ(parse_json("-12.5e1").as_number(), -125.0);
    EXPECT_EQ(parse_json("-12.5e1").number_text(), "-12.5e1");
    EXPECT_EQ(parse_json("0").as_number(), 0.0);
    EXPECT_TRUE(std::signbit(parse_json("-0").as_number()));
}

TEST(JsonParse, NumbersKeepTheirText) {
    const JsonValue v = parse_json("12345678901234567890.000000000000001");
    EXPECT_EQ(v.number_text(), "12345678901234567890.000000000000001");
    EXPECT_DOUBLE_EQ(v.as_number(), 12345678901234567890.0);
    EXPECT_EQ(to_json(v), "12345678901234567890.000000000000001");
}

TEST(JsonParse, NumbersBeyondDoubleRange) {
    EXPECT_TRUE(std::isinf(parse_json("1e400").as_number()));
    EXPECT_GT(parse_json("1e400").as_number(), 0);
    EXPECT_LT(parse_json("-1e400").as_number(), 0);
    EXPECT_EQ(parse_json("1e-400").as_number(), 0.0);
    EXPECT_EQ(parse_json("0.0000000000000000000000000e-400").as_number(), 0.0);
    EXPECT_TRUE(std::isinf(parse_json("123456789e999999999999999999").as_number()));
    EXPECT_EQ(parse_json("1e400").number_text(), "1e400");
}

TEST(JsonParse, ObjectsKeepMemberOrder) {
    const JsonValue v = parse_json(R"({"b": 1, "a": [true, null, {}], "c": {"x": "y"}})");
    ASSERT_TRUE(v.is_object());
    const JsonObject& o = v.as_object();
    ASSERT_EQ(o.size(), 3u);
    EXPECT_EQ(o[0].key, "b");
    EXPECT_EQ(o[1].key, "a");
    EXPECT_EQ(o[2].key, "c");
    EXPECT_EQ(v.find("a")->as_array().size(), 3u);
    EXPECT_EQ(v.find("c")->find("x")->as_string(), "y");
    EXPECT_EQ(v.find("zz"), nullptr);
    EXPECT_EQ(to_json(v), R"({"b":1,"a":[true,null,{}],"c":{"x":"y"}})");
}

TEST(JsonParse, Escapes) {
    EXPECT_EQ(parse_json(R"("\"\\\/\b\f\n\r\t")").as_string(), "\"\\/\b\f\n\r\t");
    EXPECT_EQ(parse_json(R"("\u0041\u00e9\u20AC")").as_string(), "A\xC3\xA9\xE2\x82\xAC");
    // U+1F600 as a surrogate pair.
    EXPECT_EQ(parse_json(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");
    EXPECT_EQ(parse_json(R"("a\u0000b")").as_string(), std::string("a\0b", 3));
}

TEST(JsonParse, Utf8Passthrough) {
    EXPECT_EQ(parse_json("\"h\xC3\xA9llo \xE2\x98\x83 \xF0\x9F\x98\x80\"").as_string(),
              "h\xC3\xA9llo \xE2\x98\x83 \xF0\x9F\x98\x80");
}

TEST(JsonParse, DepthLimit) {
    const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
    EXPECT_NO_THROW(parse_json(ok));
    const std::string deep = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
    EXPECT_EQ(error_offset(deep), kMaxJsonDepth);
    EXPECT_NE(error_reason(deep).find("nesting deeper than 128"), std::string::npos);

    std::string objects;
    for (std::size_t i = 0; i <= kMaxJsonDepth; ++i) objects += "{\"a\":";
    objects += "1" + std::string(kMaxJsonDepth + 1, '}');
    EXPECT_NE(error_reason(objects).find("nesting"), std::string::npos);
    // A very deep document fails fast instead of exhausting the stack.
    EXPECT_THROW(parse_json(std::string(1000000, '[')), JsonDepthError);
    // Only the depth limit is a JsonDepthError.
    try {
        parse_json("[1,]");
        ADD_FAILURE() << "accepted";
    } catch (const JsonDepthError&) {
        ADD_FAILURE() << "a syntax error reported as too deep";
    } catch (const JsonParseError&) {}
}

TEST(JsonParse, ErrorsCarryByteOffsets) {
    EXPECT_EQ(error_offset(""), 0u);
    EXPECT_EQ(error_offset("   "), 3u);
    EXPECT_EQ(error_offset("[1,]"), 3u);
    EXPECT_EQ(error_offset("[1 2]"), 3u);
    EXPECT_EQ(error_offset("{\"a\" 1}"), 5u);
    EXPECT_EQ(error_offset("{\"a\":1,}"), 7u);
    EXPECT_EQ(error_offset("{a:1}"), 1u);
    EXPECT_EQ(error_offset("[1] x"), 4u);
    EXPECT_EQ(error_offset("tru"), 0u);
    EXPECT_EQ(error_offset("nul"), 0u);
    EXPECT_EQ(error_offset("\"abc"), 4u);
    EXPECT_EQ(error_offset("[\"a\tb\"]"), 3u);   // raw control character
    EXPECT_EQ(error_offset("\"a\\x\""), 2u);     // unknown escape
    EXPECT_EQ(error_offset("\"\\u12G4\""), 5u);  // bad hex digit
    EXPECT_EQ(error_offset("{\"a\":1,\"a\":2}"), 7u);

    try {
        parse_json("[1,]");
        FAIL();
    } catch (const JsonParseError& e) {
        EXPECT_STREQ(e.what(), "invalid JSON at byte 3: unexpected character (expected a JSON value)");
    }
}

TEST(JsonParse, RejectsWhatTheRfcForbids) {
    for (const char* bad : {"01",   "-",   "+1",       "1.",        ".5",     "1e",       "1e+",
                            "0x10", "NaN", "Infinity", "-Infinity", "[1,2",   "{\"a\":1", "{\"a\"}",
                            "'a'",  "[,]", "{,}",      "\"\\u12\"", "//c\n1", "1 /*c*/",  "\xEF\xBB\xBF{}",
                            "\v1",  "\f1", "True",     "[] []"}) {
        EXPECT_THROW(parse_json(bad), JsonParseError) << bad;
    }
}

TEST(JsonParse, RejectsBadSurrogatesAndUtf8) {
    EXPECT_NE(error_reason(R"("\ud800")").find("high surrogate"), std::string::npos);
    EXPECT_NE(error_reason(R"("\ud800\u0041")").find("high surrogate"), std::string::npos);
    EXPECT_NE(error_reason(R"("\udc00")").find("low surrogate"), std::string::npos);
    EXPECT_EQ(error_offset(R"("ab\ud800x")"), 3u);
    for (const char* bad : {"\"\xC0\xAF\"",          // overlong '/'
                            "\"\xE0\x80\xAF\"",      // overlong
                            "\"\xED\xA0\x80\"",      // UTF-8 encoded surrogate
                            "\"\xF4\x90\x80\x80\"",  // above U+10FFFF
                            "\"\x80\"",              // lone continuation
                            "\"\xC3\"",              // truncated
                            "\"\xFF\""}) {
        EXPECT_NE(error_reason(bad).find("invalid UTF-8"), std::string::npos) << bad;
    }
    EXPECT_EQ(error_offset("\"ab\xC3(\""), 3u);
}

TEST(JsonSerialize, EscapesWhatMustBeEscaped) {
    JsonValue v = JsonValue::object();
    v.add("k\"\\", JsonValue::string(std::string("\x01\x1f\n\t\b\f\r\0\x7f", 9)));
    EXPECT_EQ(to_json(v), "{\"k\\\"\\\\\":\"\\u0001\\u001f\\n\\t\\b\\f\\r\\u0000\x7f\"}");
    EXPECT_EQ(parse_json(to_json(v)), v);
}

TEST(JsonSerialize, NumbersFromDoublesRoundTrip) {
    for (double d : {0.1, -2.5, 1e100, 5e-324, 123456789012345680.0, 0.0, -0.0, 1.7976931348623157e308}) {
        const JsonValue v = JsonValue::number(d);
        EXPECT_EQ(parse_json(to_json(v)).as_number(), d) << to_json(v);
        EXPECT_TRUE(is_json_number(v.number_text())) << v.number_text();
    }
    EXPECT_THROW(JsonValue::number(std::nan("")), std::invalid_argument);
    EXPECT_THROW(JsonValue::number(INFINITY), std::invalid_argument);
    EXPECT_THROW(JsonValue::number_from_text("1."), std::invalid_argument);
    EXPECT_EQ(JsonValue::number_from_text("-0.5E+3").as_number(), -500.0);
}

TEST(JsonSerialize, RefusesInvalidUtf8) {
    EXPECT_THROW(to_json(JsonValue::string("\xff")), std::invalid_argument);
    JsonValue o = JsonValue::object();
    o.add("\xC0\x80", JsonValue::null());
    EXPECT_THROW(to_json(o), std::invalid_argument);
}

TEST(JsonModel, CheckedAccessors) {
    const JsonValue s = JsonValue::string("x");
    EXPECT_THROW(s.as_number(), std::logic_error);
    EXPECT_THROW(s.as_object(), std::logic_error);
    EXPECT_THROW(JsonValue::null().as_bool(), std::logic_error);
    EXPECT_EQ(s.find("x"), nullptr);
    JsonValue a = JsonValue::array();
    a.push_back(JsonValue::number(1));
    EXPECT_THROW(a.add("k", JsonValue()), std::logic_error);
    EXPECT_EQ(to_json(a), "[1]");
    EXPECT_STREQ(type_name(JsonType::object), "object");
}

TEST(JsonModel, Equality) {
    EXPECT_EQ(parse_json(R"({"a":[1,"x",null]})"), parse_json(R"( { "a" : [ 1 , "x" , null ] } )"));
    EXPECT_NE(parse_json(R"({"a":1,"b":2})"), parse_json(R"({"b":2,"a":1})"));  // order is kept
    EXPECT_NE(parse_json("1.0"), parse_json("1"));                              // numbers compare by text
    EXPECT_NE(parse_json("[1]"), parse_json("[1,2]"));
}

TEST(JsonUtf8, Validator) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("abc \xC2\x80 \xEF\xBF\xBF \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF"));
    EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));
    EXPECT_FALSE(is_valid_utf8("\xED\xBF\xBF"));
    EXPECT_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));
    EXPECT_FALSE(is_valid_utf8("\xE2\x82"));
}

// Random byte soup and mutated documents: the parser either returns a value
// that serializes and re-parses to itself, or throws JsonParseError with an
// offset inside the input.
TEST(JsonParse, RandomInputNeverMisbehaves) {
    std::mt19937 rng(42);
    const std::string seeds[] = {R"({"a":[1,2.5e-3,"x\u00e9",true,null],"b":{"c":"\ud83d\ude00"}})",
                                 R"([[[]],{},"",-0,1E+2])", "\"\xE2\x98\x83\""};
    const std::string alphabet = "{}[]\",:\\u0123456789abcdefEe+-. \ntrufalsn\xC3\xA9\xED\xA0\x80";
    int parsed = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string doc = seeds[static_cast<std::size_t>(i) % 3];
        const int edits = std::uniform_int_distribution<int>(1, 4)(rng);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = std::uniform_int_distribution<std::size_t>(0, doc.size())(rng);
            const char c = alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
            switch (rng() % 3) {
                case 0:
                    doc.insert(doc.begin() + static_cast<std::ptrdiff_t>(at), c);
                    break;
                case 1:
                    if (at < doc.size()) doc.erase(at, 1);
                    break;
                default:
                    if (at < doc.size()) doc[at] = c;
                    break;
            }
        }
        try {
            const JsonValue v = parse_json(doc);
            ++parsed;
            const std::string out = to_json(v);
            EXPECT_EQ(parse_json(out), v) << doc;
            EXPECT_EQ(to_json(parse_json(out)), out);
        } catch (const JsonParseError& e) {
            EXPECT_LE(e.offset(), doc.size()) << doc;
        }
    }
    EXPECT_GT(parsed, 100);
}
