// A small JSON value model with a strict parser and a compact serializer.
//
// The PostgreSQL glue builds JsonValues straight from jsonb; the parser is
// here for unit tests, fuzzing and tools. The model keeps what RushDB's
// filter compiler and property typing need and nothing more:
//   - numbers keep their original text next to the double, so a value such as
//     12345678901234567890.5 reaches PostgreSQL's numeric without rounding;
//   - objects keep member order (errors and generated SQL follow the order the
//     caller wrote).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rushdb::json {

enum class JsonType { null, boolean, number, string, array, object };

// "null", "boolean", "number", "string", "array", "object".
const char* type_name(JsonType t) noexcept;

class JsonValue;
struct JsonMember;
using JsonArray = std::vector<JsonValue>;
using JsonObject = std::vector<JsonMember>;  // in the order written

class JsonValue {
public:
    JsonValue() noexcept;  // null

    static JsonValue null() noexcept;
    static JsonValue boolean(bool b) noexcept;
    // Shortest text that reads back to `v`. Throws std::invalid_argument for
    // NaN and infinities, which JSON cannot express.
    static JsonValue number(double v);
    // `text` must follow JSON's number grammar (throws std::invalid_argument
    // otherwise). The text is kept as is; the double is its nearest value,
    // +-infinity or +-0 when the magnitude is beyond double's range.
    static JsonValue number_from_text(std::string_view text);
    static JsonValue string(std::string s);
    static JsonValue array(JsonArray items = {});
    static JsonValue object(JsonObject members = {});

    JsonType type() const noexcept;
    bool is_null() const noexcept { return type() == JsonType::null; }
    bool is_bool() const noexcept { return type() == JsonType::boolean; }
    bool is_number() const noexcept { return type() == JsonType::number; }
    bool is_string() const noexcept { return type() == JsonType::string; }
    bool is_array() const noexcept { return type() == JsonType::array; }
    bool is_object() const noexcept { return type() == JsonType::object; }

    // Checked accessors: std::logic_error when the value has another type
    // (a programming error, not bad input).
    bool as_bool() const;
    double as_number() const;
    const std::string& number_text() const;  // the number as written
    const std::string& as_string() const;
    const JsonArray& as_array() const;
    JsonArray& as_array();
    const JsonObject& as_object() const;
    JsonObject& as_object();

    // First member named `key`, or nullptr (also when this is not an object).
    const JsonValue* find(std::string_view key) const noexcept;

    // Appends to an array / object (std::logic_error on other types). add()
    // does not look for an existing member with the same key.
    void push_back(JsonValue item);
    void add(std::string key, JsonValue value);

    // Structural equality; numbers are equal when their texts are.
    friend bool operator==(const JsonValue& a, const JsonValue& b);
    friend bool operator!=(const JsonValue& a, const JsonValue& b) { return !(a == b); }

private:
    struct Number {
        double value;
        std::string text;
    };
    using Storage = std::variant<std::monostate, bool, Number, std::string, JsonArray, JsonObject>;
    explicit JsonValue(Storage s) noexcept;

    Storage storage_;
};

struct JsonMember {
    std::string key;
    JsonValue value;
};

// Deepest nesting of arrays/objects the parser accepts: "[[1]]" has depth 2.
// Bounds the parser's recursion (and so its stack use) on hostile input.
constexpr std::size_t kMaxJsonDepth = 128;

class JsonParseError : public std::runtime_error {
public:
    JsonParseError(const std::string& reason, std::size_t offset);
    std::size_t offset() const noexcept { return offset_; }         // byte offset in the input
    const std::string& reason() const noexcept { return reason_; }  // without the offset

private:
    std::string reason_;
    std::size_t offset_;
};

// The JsonParseError for nesting deeper than kMaxJsonDepth: a resource limit
// rather than malformed text.
class JsonDepthError : public JsonParseError {
public:
    using JsonParseError::JsonParseError;
};

// Parses exactly one JSON text (RFC 8259): UTF-8 input, no byte-order mark,
// no trailing content, no comments, whitespace only from " \t\n\r". Strings
// must be valid UTF-8; \u escapes must pair surrogates correctly ("\u0000" is
// accepted, as the RFC allows). Duplicate member names are rejected: the RFC
// leaves their meaning open, and a filter that says two things about one key
// has no single reading. Throws JsonParseError (JsonDepthError for nesting
// deeper than kMaxJsonDepth).
JsonValue parse_json(std::string_view text);

// Compact JSON text (no insignificant whitespace), members in stored order.
// Strings are written as UTF-8 with '"', '\\' and control characters escaped.
// Throws std::invalid_argument if a string or key is not valid UTF-8, so the
// output is always valid JSON.
std::string to_json(const JsonValue& v);

// Strict UTF-8: no overlong forms, no surrogate code points, at most U+10FFFF.
bool is_valid_utf8(std::string_view s) noexcept;

// True when `text` is exactly one number in JSON's grammar
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?).
bool is_json_number(std::string_view text) noexcept;

}  // namespace rushdb::json
