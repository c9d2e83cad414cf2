#include "json/json_path.hpp"

namespace rushdb::json {

bool is_plain_name(const std::string& key) {
    if (key.empty()) return false;
    for (std::size_t i = 0; i < key.size(); ++i) {
        const char c = key[i];
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

std::string path_member(const std::string& path, const std::string& key) {
    if (is_plain_name(key)) return path + "." + key;
    if (is_valid_utf8(key)) return path + "[" + to_json(JsonValue::string(key)) + "]";
    // Not representable as a JSON string: show the bytes.
    static const char kHex[] = "0123456789abcdef";
    std::string shown;
    for (const char ch : key) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            shown += ch;
        } else {
            shown += "\\x";
            shown += kHex[c >> 4];
            shown += kHex[c & 0xF];
        }
    }
    return path + "[\"" + shown + "\"]";
}

std::string path_index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::string a_type(JsonType t) {
    const std::string name = type_name(t);
    return (t == JsonType::array || t == JsonType::object ? "an " : "a ") + name;
}

}  // namespace rushdb::json
