#include "json/json_value.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>
#include <utility>

namespace rushdb::json {

// ---------------------------------------------------------------------------
// The value model

const char* type_name(JsonType t) noexcept {
    switch (t) {
        case JsonType::null:
            return "null";
        case JsonType::boolean:
            return "boolean";
        case JsonType::number:
            return "number";
        case JsonType::string:
            return "string";
        case JsonType::array:
            return "array";
        case JsonType::object:
            return "object";
    }
    return "unknown";
}

namespace {

// A number whose magnitude is beyond double's range: from_chars reports it but
// gives no value, so decide between overflow and underflow from the decimal
// exponent of the first significant digit. `text` is valid JSON number text.
double out_of_range_value(std::string_view text) noexcept {
    const bool negative = !text.empty() && text[0] == '-';
    std::size_t i = negative ? 1 : 0;
    long long exponent = 0;  // position of the first significant digit
    bool seen_significant = false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        if (text[i] != '0') seen_significant = true;
        if (seen_significant) ++exponent;
    }
    if (i < text.size() && text[i] == '.') {
        for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
            if (seen_significant) continue;
            if (text[i] != '0')
                seen_significant = true;
            else
                --exponent;
        }
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        bool exp_negative = false;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) exp_negative = text[i++] == '-';
        long long e = 0;
        for (; i < text.size(); ++i) e = std::min<long long>(e * 10 + (text[i] - '0'), 1LL << 40);
        exponent += exp_negative ? -e : e;
    }
    const double magnitude = exponent > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    return negative ? -magnitude : magnitude;
}

double number_value(std::string_view text) noexcept {
    double v = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec == std::errc::result_out_of_range) return out_of_range_value(text);
    return v;
}

[[noreturn]] void wrong_type(JsonType actual, const char* wanted) {
    throw std::logic_error(std::string("JSON value is ") + type_name(actual) + ", not " + wanted);
}

}  // namespace

JsonValue::JsonValue() noexcept : storage_(std::monostate{}) {}
JsonValue::JsonValue(Storage s) noexcept : storage_(std::move(s)) {}

JsonValue JsonValue::null() noexcept { return JsonValue(); }
JsonValue JsonValue::boolean(bool b) noexcept { return JsonValue(Storage(b)); }

JsonValue JsonValue::number(double v) {
    if (!std::isfinite(v)) throw std::invalid_argument("JSON numbers must be finite");
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return JsonValue(Storage(Number{v, std::string(buf, r.ptr)}));
}

JsonValue JsonValue::number_from_text(std::string_view text) {
    if (!is_json_number(text)) throw std::invalid_argument("not a JSON number: \"" + std::string(text) + "\"");
    return JsonValue(Storage(Number{number_value(text), std::string(text)}));
}

JsonValue JsonValue::string(std::string s) { return JsonValue(Storage(std::move(s))); }
JsonValue JsonValue::array(JsonArray items) { return JsonValue(Storage(std::move(items))); }
JsonValue JsonValue::object(JsonObject members) { return JsonValue(Storage(std::move(members))); }

JsonType JsonValue::type() const noexcept {
    // Variant alternatives are declared in JsonType order.
    return static_cast<JsonType>(storage_.index());
}

bool JsonValue::as_bool() const {
    if (!is_bool()) wrong_type(type(), "a boolean");
    return std::get<bool>(storage_);
}

double JsonValue::as_number() const {
    if (!is_number()) wrong_type(type(), "a number");
    return std::get<Number>(storage_).value;
}

const std::string& JsonValue::number_text() const {
    if (!is_number()) wrong_type(type(), "a number");
    return std::get<Number>(storage_).text;
}

const std::string& JsonValue::as_string() const {
    if (!is_string()) wrong_type(type(), "a string");
    return std::get<std::string>(storage_);
}

const JsonArray& JsonValue::as_array() const {
    if (!is_array()) wrong_type(type(), "an array");
    return std::get<JsonArray>(storage_);
}

JsonArray& JsonValue::as_array() {
    if (!is_array()) wrong_type(type(), "an array");
    return std::get<JsonArray>(storage_);
}

const JsonObject& JsonValue::as_object() const {
    if (!is_object()) wrong_type(type(), "an object");
    return std::get<JsonObject>(storage_);
}

JsonObject& JsonValue::as_object() {
    if (!is_object()) wrong_type(type(), "an object");
    return std::get<JsonObject>(storage_);
}

const JsonValue* JsonValue::find(std::string_view key) const noexcept {
    const auto* members = std::get_if<JsonObject>(&storage_);
    if (members == nullptr) return nullptr;
    for (const JsonMember& m : *members)
        if (m.key == key) return &m.value;
    return nullptr;
}

void JsonValue::push_back(JsonValue item) { as_array().push_back(std::move(item)); }

void JsonValue::add(std::string key, JsonValue value) {
    as_object().push_back(JsonMember{std::move(key), std::move(value)});
}

bool operator==(const JsonValue& a, const JsonValue& b) {
    if (a.type() != b.type()) return false;
    switch (a.type()) {
        case JsonType::null:
            return true;
        case JsonType::boolean:
            return a.as_bool() == b.as_bool();
        case JsonType::number:
            return a.number_text() == b.number_text();
        case JsonType::string:
            return a.as_string() == b.as_string();
        case JsonType::array:
            return a.as_array() == b.as_array();
        case JsonType::object: {
            const JsonObject& x = a.as_object();
            const JsonObject& y = b.as_object();
            if (x.size() != y.size()) return false;
            for (std::size_t i = 0; i < x.size(); ++i)
                if (x[i].key != y[i].key || x[i].value != y[i].value) return false;
            return true;
        }
    }
    return false;
}

// ---------------------------------------------------------------------------
// Grammar helpers shared by the parser and the model

namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Length of the JSON number starting at text[0], or 0 if there is none.
std::size_t scan_number(std::string_view text) noexcept {
    std::size_t i = 0;
    const std::size_t n = text.size();
    if (i < n && text[i] == '-') ++i;
    if (i >= n) return 0;
    if (text[i] == '0') {
        ++i;
    } else if (text[i] >= '1' && text[i] <= '9') {
        while (i < n && is_digit(text[i])) ++i;
    } else {
        return 0;
    }
    if (i < n && text[i] == '.') {
        ++i;
        if (i >= n || !is_digit(text[i])) return 0;
        while (i < n && is_digit(text[i])) ++i;
    }
    if (i < n && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
        if (i >= n || !is_digit(text[i])) return 0;
        while (i < n && is_digit(text[i])) ++i;
    }
    return i;
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b0 = byte(i);
    if (b0 < 0x80) return 1;
    std::size_t len;
    std::uint32_t cp;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        cp = b0 & 0x07;
    } else {
        return 0;  // continuation byte, overlong 2-byte lead (C0/C1) or > U+10FFFF
    }
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const unsigned char b = byte(i + k);
        if ((b & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
    return len;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t len = utf8_sequence_length(s, i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

bool is_json_number(std::string_view text) noexcept { return !text.empty() && scan_number(text) == text.size(); }

// ---------------------------------------------------------------------------
// Parser: recursive descent over the input bytes; recursion depth is bounded
// by kMaxJsonDepth.

JsonParseError::JsonParseError(const std::string& reason, std::size_t offset)
    : std::runtime_error("invalid JSON at byte " + std::to_string(offset) + ": " + reason),
      reason_(reason),
      offset_(offset) {}

namespace {

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    JsonValue parse_document() {
        if (text_.size() >= 3 && text_.substr(0, 3) == "\xEF\xBB\xBF") fail("byte-order mark is not allowed", 0);
        skip_whitespace();
        if (at_end()) fail("expected a JSON value, found end of input");
        JsonValue v = parse_value(0);
        skip_whitespace();
        if (!at_end()) fail("unexpected content after the JSON value");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& reason) const { fail(reason, pos_); }
    [[noreturn]] void fail(const std::string& reason, std::size_t at) const { throw JsonParseError(reason, at); }

    bool at_end() const noexcept { return pos_ >= text_.size(); }
    char peek() const noexcept { return text_[pos_]; }

    void skip_whitespace() noexcept {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
    }

    void expect_literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) fail("invalid literal (expected a JSON value)");
        pos_ += word.size();
    }

    // `depth` counts the arrays/objects enclosing this value.
    JsonValue parse_value(std::size_t depth) {
        if (at_end()) fail("expected a JSON value, found end of input");
        switch (peek()) {
            case '{':
                return parse_object(depth + 1);
            case '[':
                return parse_array(depth + 1);
            case '"':
                return JsonValue::string(parse_string());
            case 't':
                expect_literal("true");
                return JsonValue::boolean(true);
            case 'f':
                expect_literal("false");
                return JsonValue::boolean(false);
            case 'n':
                expect_literal("null");
                return JsonValue::null();
            default:
                break;
        }
        const std::size_t len = scan_number(text_.substr(pos_));
        if (len == 0) {
            if (peek() == '-' || is_digit(peek())) fail("malformed number");
            fail("unexpected character (expected a JSON value)");
        }
        JsonValue v = JsonValue::number_from_text(text_.substr(pos_, len));
        pos_ += len;
        return v;
    }

    void check_depth(std::size_t depth) const {
        if (depth > kMaxJsonDepth)
            throw JsonDepthError("nesting deeper than " + std::to_string(kMaxJsonDepth) + " arrays/objects", pos_);
    }

    JsonValue parse_array(std::size_t depth) {
        check_depth(depth);
        ++pos_;  // '['
        JsonArray items;
        skip_whitespace();
        if (!at_end() && peek() == ']') {
            ++pos_;
            return JsonValue::array(std::move(items));
        }
        for (;;) {
            skip_whitespace();
            items.push_back(parse_value(depth));
            skip_whitespace();
            if (at_end()) fail("unterminated array (expected ',' or ']')");
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') {
                ++pos_;
                return JsonValue::array(std::move(items));
            }
            fail("expected ',' or ']' in array");
        }
    }

    JsonValue parse_object(std::size_t depth) {
        check_depth(depth);
        ++pos_;  // '{'
        JsonObject members;
        skip_whitespace();
        if (!at_end() && peek() == '}') {
            ++pos_;
            return JsonValue::object(std::move(members));
        }
        for (;;) {
            skip_whitespace();
            if (at_end() || peek() != '"') fail("expected a member name (a string) in object");
            const std::size_t key_at = pos_;
            std::string key = parse_string();
            // Linear scan: filters and records have few members; a set would
            // cost more for them than it saves for rare wide objects.
            for (const JsonMember& m : members)
                if (m.key == key) fail("duplicate member name \"" + key + "\"", key_at);
            skip_whitespace();
            if (at_end() || peek() != ':') fail("expected ':' after member name");
            ++pos_;
            skip_whitespace();
            JsonValue value = parse_value(depth);
            members.push_back(JsonMember{std::move(key), std::move(value)});
            skip_whitespace();
            if (at_end()) fail("unterminated object (expected ',' or '}')");
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                return JsonValue::object(std::move(members));
            }
            fail("expected ',' or '}' in object");
        }
    }

    // Four hex digits at pos_; advances past them.
    std::uint32_t parse_hex4() {
        if (pos_ + 4 > text_.size()) fail("truncated \\u escape");
        std::uint32_t v = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = text_[pos_];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= static_cast<std::uint32_t>(c - 'A' + 10);
            else
                fail("invalid hex digit in \\u escape");
            ++pos_;
        }
        return v;
    }

    // After "\u": one code point, combining a surrogate pair when present.
    std::uint32_t parse_unicode_escape(std::size_t escape_at) {
        const std::uint32_t unit = parse_hex4();
        if (unit >= 0xDC00 && unit <= 0xDFFF) fail("unpaired low surrogate in \\u escape", escape_at);
        if (unit < 0xD800 || unit > 0xDBFF) return unit;
        if (text_.substr(pos_, 2) != "\\u") fail("high surrogate must be followed by a \\u low surrogate", escape_at);
        pos_ += 2;
        const std::uint32_t low = parse_hex4();
        if (low < 0xDC00 || low > 0xDFFF) fail("high surrogate must be followed by a \\u low surrogate", escape_at);
        return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    }

    std::string parse_string() {
        ++pos_;  // opening quote
        std::string out;
        for (;;) {
            if (at_end()) fail("unterminated string");
            const unsigned char c = static_cast<unsigned char>(peek());
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (c < 0x20) fail("control character in string (must be escaped)");
            if (c == '\\') {
                const std::size_t escape_at = pos_;
                ++pos_;
                if (at_end()) fail("unterminated escape");
                const char e = peek();
                ++pos_;
                switch (e) {
                    case '"':
                        out += '"';
                        break;
                    case '\\':
                        out += '\\';
                        break;
                    case '/':
                        out += '/';
                        break;
                    case 'b':
                        out += '\b';
                        break;
                    case 'f':
                        out += '\f';
                        break;
                    case 'n':
                        out += '\n';
                        break;
                    case 'r':
                        out += '\r';
                        break;
                    case 't':
                        out += '\t';
                        break;
                    case 'u':
                        append_utf8(out, parse_unicode_escape(escape_at));
                        break;
                    default:
                        fail("invalid escape sequence", escape_at);
                }
                continue;
            }
            const std::size_t len = utf8_sequence_length(text_, pos_);
            if (len == 0) fail("invalid UTF-8 in string");
            out.append(text_.data() + pos_, len);
            pos_ += len;
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

JsonValue parse_json(std::string_view text) { return Parser(text).parse_document(); }

// ---------------------------------------------------------------------------
// Serializer

namespace {

void write_string(std::string& out, const std::string& s) {
    if (!is_valid_utf8(s)) throw std::invalid_argument("JSON string is not valid UTF-8");
    static const char kHex[] = "0123456789abcdef";
    out += '"';
    for (const char ch : s) {
        const unsigned char c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xF];
                } else {
                    out += ch;
                }
        }
    }
    out += '"';
}

void write_value(std::string& out, const JsonValue& v) {
    switch (v.type()) {
        case JsonType::null:
            out += "null";
            return;
        case JsonType::boolean:
            out += v.as_bool() ? "true" : "false";
            return;
        case JsonType::number:
            out += v.number_text();
            return;
        case JsonType::string:
            write_string(out, v.as_string());
            return;
        case JsonType::array: {
            out += '[';
            bool first = true;
            for (const JsonValue& item : v.as_array()) {
                if (!first) out += ',';
                first = false;
                write_value(out, item);
            }
            out += ']';
            return;
        }
        case JsonType::object: {
            out += '{';
            bool first = true;
            for (const JsonMember& m : v.as_object()) {
                if (!first) out += ',';
                first = false;
                write_string(out, m.key);
                out += ':';
                write_value(out, m.value);
            }
            out += '}';
            return;
        }
    }
}

}  // namespace

std::string to_json(const JsonValue& v) {
    std::string out;
    write_value(out, v);
    return out;
}

}  // namespace rushdb::json
