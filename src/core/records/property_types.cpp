#include "records/property_types.hpp"

#include <unordered_set>
#include <utility>

namespace rushdb::records {

using json::JsonType;
using json::JsonValue;

const char* type_name(PropertyType t) noexcept {
    switch (t) {
        case PropertyType::string:
            return "string";
        case PropertyType::number:
            return "number";
        case PropertyType::boolean:
            return "boolean";
        case PropertyType::datetime:
            return "datetime";
    }
    return "unknown";
}

PropertyError::PropertyError(std::string key, const std::string& message)
    : std::runtime_error(message), key_(std::move(key)) {}

// ---------------------------------------------------------------------------
// ISO-8601

namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Reads `n` digits at text[at]; false if any is missing or not a digit.
bool read_digits(std::string_view text, std::size_t at, std::size_t n, int& out) noexcept {
    if (at + n > text.size()) return false;
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (!is_digit(text[i])) return false;
        v = v * 10 + (text[i] - '0');
    }
    out = v;
    return true;
}

bool is_leap_year(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) noexcept {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap_year(y)) ? 29 : kDays[m - 1];
}

// The parts of a recognised datetime, as offsets into the text, so
// normalize_iso8601 can rebuild it without parsing again.
struct Iso8601Parts {
    bool has_time = false;
    bool has_seconds = false;
    std::size_t time_end = 0;      // end of HH:MM[:SS[.f]]
    std::size_t offset_begin = 0;  // start of Z / +HH:MM (== size when absent)
};

std::optional<Iso8601Parts> split_iso8601(std::string_view t) noexcept {
    int year, month, day;
    if (!read_digits(t, 0, 4, year) || t.size() < 10 || t[4] != '-' || !read_digits(t, 5, 2, month) || t[7] != '-' ||
        !read_digits(t, 8, 2, day))
        return std::nullopt;
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
    Iso8601Parts parts;
    if (t.size() == 10) {
        parts.offset_begin = parts.time_end = 10;
        return parts;
    }

    int hour, minute, second;
    if (t[10] != 'T' || !read_digits(t, 11, 2, hour) || t.size() < 16 || t[13] != ':' ||
        !read_digits(t, 14, 2, minute) || hour > 23 || minute > 59)
        return std::nullopt;
    parts.has_time = true;
    std::size_t i = 16;
    if (i < t.size() && t[i] == ':') {
        if (!read_digits(t, i + 1, 2, second) || second > 59) return std::nullopt;
        parts.has_seconds = true;
        i += 3;
        if (i < t.size() && t[i] == '.') {
            std::size_t digits = 0;
            for (++i; i < t.size() && is_digit(t[i]); ++i) ++digits;
            if (digits < 1 || digits > 9) return std::nullopt;
        }
    }
    parts.time_end = parts.offset_begin = i;
    if (i == t.size()) return parts;
    if (t[i] == 'Z') return i + 1 == t.size() ? std::optional<Iso8601Parts>(parts) : std::nullopt;
    int off_hour, off_minute;
    if ((t[i] != '+' && t[i] != '-') || t.size() != i + 6 || !read_digits(t, i + 1, 2, off_hour) || t[i + 3] != ':' ||
        !read_digits(t, i + 4, 2, off_minute) || off_hour > 14 || off_minute > 59)
        return std::nullopt;
    return parts;
}

}  // namespace

bool is_iso8601_datetime(std::string_view text) noexcept { return split_iso8601(text).has_value(); }

std::optional<std::string> normalize_iso8601(std::string_view text) {
    const std::optional<Iso8601Parts> parts = split_iso8601(text);
    if (!parts) return std::nullopt;
    if (!parts->has_time) return std::string(text) + "T00:00:00Z";
    std::string out(text.substr(0, 16));  // YYYY-MM-DDTHH:MM
    out += parts->has_seconds ? text.substr(16, parts->time_end - 16) : std::string_view(":00");
    const std::string_view offset = text.substr(parts->offset_begin);
    out += offset.empty() ? std::string_view("Z") : offset;
    return out;
}

// ---------------------------------------------------------------------------
// Keys and types

void check_writable_key(std::string_view key) {
    const std::string k(key);
    if (key.empty()) throw PropertyError(k, "property names cannot be empty");
    if (key[0] == '$')
        throw PropertyError(
            k, "property name \"" + k + "\" starts with '$', which marks operators in filters; rename the property");
    if (key == "__vectors")
        throw PropertyError(k,
                            "\"__vectors\" carries vectors for embedding indexes and is not a property; "
                            "it must be taken out of the properties before they are stored");
    if (key == "__id" || key == "__label" || key == "__proptypes" || key == "__score")
        throw PropertyError(k, "\"" + k + "\" is a reserved record field and cannot be a property name");
}

namespace {

PropertyType scalar_type(const JsonValue& v) {
    switch (v.type()) {
        case JsonType::boolean:
            return PropertyType::boolean;
        case JsonType::number:
            return PropertyType::number;
        case JsonType::string:
            return is_iso8601_datetime(v.as_string()) ? PropertyType::datetime : PropertyType::string;
        default:
            break;
    }
    throw std::logic_error("scalar_type called on a non-scalar");
}

std::string flat_error(const std::string& key, const char* what) {
    return "property \"" + key + "\" " + what +
           "; RushDB properties are flat: store nested data as a separate record (and relate it) "
           "or flatten it into top-level properties";
}

// The element type of a non-empty array property.
PropertyType array_type(const std::string& key, const json::JsonArray& items) {
    std::optional<PropertyType> type;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const JsonValue& item = items[i];
        if (item.is_object()) throw PropertyError(key, flat_error(key, "holds an object inside its array"));
        if (item.is_array()) throw PropertyError(key, flat_error(key, "holds an array inside its array"));
        if (item.is_null())
            throw PropertyError(key, "property \"" + key + "\" holds null at index " + std::to_string(i) +
                                         "; array properties cannot contain null");
        PropertyType t = scalar_type(item);
        if (!type) {
            type = t;
            continue;
        }
        if (t == *type) continue;
        // Datetimes are strings with a stricter form: a mix of the two is a string array.
        const bool both_strings = (t == PropertyType::string || t == PropertyType::datetime) &&
                                  (*type == PropertyType::string || *type == PropertyType::datetime);
        if (both_strings) {
            type = PropertyType::string;
            continue;
        }
        throw PropertyError(key, "property \"" + key + "\" mixes " + type_name(*type) + " and " + type_name(t) +
                                     " values (index " + std::to_string(i) +
                                     "); all elements of an array property must have one type");
    }
    return *type;
}

}  // namespace

PropertyTypes infer_property_types(const JsonValue& properties) {
    if (!properties.is_object())
        throw PropertyError(
            "", std::string("record properties must be a JSON object, not ") + json::type_name(properties.type()));
    const json::JsonObject& members = properties.as_object();
    PropertyTypes types;
    std::unordered_set<std::string_view> seen;
    for (const json::JsonMember& member : members) {
        const std::string& key = member.key;
        const JsonValue& value = member.value;
        check_writable_key(key);
        // jsonb and parse_json never produce duplicates; a hand-built value might.
        if (!seen.insert(key).second) throw PropertyError(key, "property \"" + key + "\" appears twice");
        switch (value.type()) {
            case JsonType::null:
                continue;  // unset
            case JsonType::object:
                throw PropertyError(key, flat_error(key, "holds an object"));
            case JsonType::array:
                if (value.as_array().empty()) continue;  // untyped, see the header
                types.push_back({key, array_type(key, value.as_array())});
                continue;
            default:
                types.push_back({key, scalar_type(value)});
                continue;
        }
    }
    return types;
}

JsonValue property_types_json(const PropertyTypes& types) {
    JsonValue out = JsonValue::object();
    for (const PropertyTypeEntry& e : types) out.add(e.key, JsonValue::string(type_name(e.type)));
    return out;
}

}  // namespace rushdb::records
