// RushDB's `__proptypes`: the type of each property of a record, inferred
// from the values written, plus the rules for which keys may be properties.
//
// Types: "string", "number", "boolean", "datetime". A datetime is a string in
// the ISO-8601 subset below; RushDB keeps it a string in the record and types
// it "datetime" so filters compare it as an instant.
//
// Values:
//   - null: the property is unset; its key is left out of the type map (the
//     caller drops the key from the stored properties).
//   - an array: typed by its elements, which must all have one type; an
//     array mixing datetime and other strings is "string" (a datetime is a
//     string with a stricter form, so "string" describes every element).
//   - an empty array: it has no element to take a type from, and any guess
//     would be wrong for some records, so the key is left out of the type map
//     like null (the caller may still store the []).
//   - an object, or an array holding objects, arrays or nulls: an error.
//     RushDB properties are flat; nested data belongs in a separate record.
//
// Keys that can never be properties: "__id", "__label", "__proptypes",
// "__score" (record fields RushDB returns next to the properties),
// "__vectors" (inline vectors of a write request: the caller takes them out
// before the remaining keys are checked and stored here; it is never a
// property), any key starting with '$' (filter operators), and "".
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "json/json_value.hpp"

namespace rushdb::records {

enum class PropertyType { string, number, boolean, datetime };

// "string", "number", "boolean", "datetime": the names used in __proptypes.
const char* type_name(PropertyType t) noexcept;

struct PropertyTypeEntry {
    std::string key;
    PropertyType type;
};
// One entry per typed property, in the order of the record's keys.
using PropertyTypes = std::vector<PropertyTypeEntry>;

// A property that cannot be written as given; key() names it ("" when the
// problem is the properties value as a whole).
class PropertyError : public std::runtime_error {
public:
    PropertyError(std::string key, const std::string& message);
    const std::string& key() const noexcept { return key_; }

private:
    std::string key_;
};

// Throws PropertyError when `key` cannot be a property name (see above).
void check_writable_key(std::string_view key);

// Checks every key of `properties` (which must be a JSON object) and infers
// the type of each non-null, non-empty-array value. Throws PropertyError for
// a reserved key, a duplicate key, a nested object, or a mixed-type array.
PropertyTypes infer_property_types(const json::JsonValue& properties);

// {"key": "type", ...}: the __proptypes object stored with the record.
json::JsonValue property_types_json(const PropertyTypes& types);

// ---------------------------------------------------------------------------
// ISO-8601 datetimes as RushDB recognises them: exactly
//   YYYY-MM-DD
//   YYYY-MM-DDTHH:MM[:SS[.f{1,9}]][Z|+HH:MM|-HH:MM]
// with year 0001-9999, real calendar days (leap years: divisible by 4, except
// centuries not divisible by 400), hour 00-23, minute and second 00-59, and an
// offset of at most 14:59. 'T' and 'Z' are upper case; no spaces.
bool is_iso8601_datetime(std::string_view text) noexcept;

// The same instant with nothing left for a timestamptz cast to take from the
// session: "YYYY-MM-DDTHH:MM:SS[.f]" plus "Z" or the written offset. A date
// is midnight, missing seconds are :00, and a datetime without an offset is
// UTC (RushDB's datetimes are instants, and UTC keeps a filter's meaning
// independent of the TimeZone setting). nullopt when not is_iso8601_datetime.
std::optional<std::string> normalize_iso8601(std::string_view text);

}  // namespace rushdb::records
