// SQL entry points of the records API that run C++ from src/core:
// UUIDv7 ids, __proptypes inference (with the reserved-key checks), the
// where-filter compiler (used by rushdb.search, src/pg/search_api.cpp) and
// (the datetime helpers the compiled filters call are in property_values.cpp). jsonb crosses the boundary as its text form, parsed
// by the core's JSON reader: filters and property objects are small, and the
// core stays free of PostgreSQL.
#include <optional>
#include <set>
#include <string>

#include "boundary.hpp"
#include "datum_glue.hpp"
#include "filter_glue.hpp"
#include "filter/where_compiler.hpp"
#include "json/json_value.hpp"
#include "pg_prelude.hpp"
#include "records/property_types.hpp"
#include "records/uuid_v7.hpp"

extern "C" {
#include "miscadmin.h"
#include "port.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
}

using namespace rushdb::pg;
namespace json = rushdb::json;

namespace {

uint64_t strong_random64() {
    uint64_t v = 0;
    if (!pg_strong_random(&v, sizeof v)) throw std::runtime_error("could not generate random bytes");
    return v;
}

// One generator per backend keeps ids monotonic within a millisecond.
rushdb::records::UuidV7Generator& generator() {
    static rushdb::records::UuidV7Generator g(strong_random64);
    return g;
}

}  // namespace

namespace rushdb::pg {

void compile_filter(const char* filter_json, const char* record_alias, int param_no, std::size_t max_nodes,
                    std::string& sql, std::vector<std::string>& params, bool as_array) {
    using rushdb::filter::FilterLimitError;
    rushdb::filter::CompiledFilter compiled;
    try {
        rushdb::filter::CompileOptions options;
        options.properties_expr = std::string(record_alias) + ".properties";
        options.id_expr = std::string(record_alias) + ".id";
        options.proptypes_expr = std::string(record_alias) + ".proptypes";
        if (as_array) {
            options.param_array = param_no;
        } else {
            options.first_param = param_no;
        }
        options.max_nodes = max_nodes;
        // Reading the flag is all that may happen inside the compiler's
        // frames; a pending interrupt is processed through pg_call, whose
        // PgError unwinds them.
        options.check_interrupts = [] {
            if (InterruptPending) pg_call([] { CHECK_FOR_INTERRUPTS(); });
        };
        // Read on the first range the filter holds (through pg_call, so an
        // error unwinds the compiler's frames): filters without one, most
        // searches, never open the indexes.
        std::optional<std::set<std::string>> ranges;
        options.range_indexed = [&ranges](const char* kind, const std::string& key) {
            if (!ranges) {
                List* found = pg_call([] { return range_indexed_properties(); });
                ranges.emplace();
                ListCell* lc;
                foreach (lc, found) ranges->emplace(static_cast<const char*>(lfirst(lc)));
            }
            return ranges->count(std::string(kind) + ":" + key) != 0;
        };
        compiled = rushdb::filter::compile_where(json::parse_json(filter_json), options);
    } catch (const FilterLimitError& e) {
        switch (e.limit()) {
            case FilterLimitError::Limit::depth:
                throw UserError(ERRCODE_STATEMENT_TOO_COMPLEX,
                                std::string("where filter too deeply nested: ") + e.what(), {},
                                "Flatten the filter: an $and inside an $and (or an $or inside an $or) can be "
                                "merged into its parent.");
            case FilterLimitError::Limit::nodes:
                throw UserError(ERRCODE_PROGRAM_LIMIT_EXCEEDED, std::string("where filter too large: ") + e.what(), {},
                                "Use fewer conditions (a long $or of equalities on one property is one $in) or "
                                "split the search; rushdb.max_filter_nodes sets the limit (" +
                                    std::to_string(max_nodes) + ").");
            case FilterLimitError::Limit::sql_bytes:
            case FilterLimitError::Limit::params:
                throw UserError(ERRCODE_PROGRAM_LIMIT_EXCEEDED, std::string("where filter too large: ") + e.what(), {},
                                "Use fewer conditions or split the search.");
        }
        throw;
    } catch (const rushdb::filter::FilterError& e) {
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, std::string("invalid where filter: ") + e.what());
    } catch (const json::JsonDepthError& e) {
        throw UserError(ERRCODE_STATEMENT_TOO_COMPLEX, std::string("where filter too deeply nested: ") + e.what(), {},
                        "Flatten the filter: an $and inside an $and (or an $or inside an $or) can be merged into "
                        "its parent.");
    } catch (const json::JsonParseError& e) {
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, std::string("invalid where filter: ") + e.what());
    }
    sql = std::move(compiled.sql);
    params.clear();
    params.reserve(compiled.params.size());
    for (auto& p : compiled.params) params.push_back(std::move(p.text));
}

}  // namespace rushdb::pg

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_uuid_v7);
PG_FUNCTION_INFO_V1(rushdb_record_proptypes);

Datum rushdb_uuid_v7(PG_FUNCTION_ARGS) {
    auto* out = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t)));
    rushdb::records::Uuid id = guarded([] { return generator().next(); });
    std::memcpy(out->data, id.bytes.data(), UUID_LEN);
    PG_RETURN_UUID_P(out);
}

// Validates record properties (flat, no reserved keys, arrays of one type)
// and returns the __proptypes map.
Datum rushdb_record_proptypes(PG_FUNCTION_ARGS) {
    char* text = jsonb_cstring(PG_GETARG_JSONB_P(0));
    return guarded([&]() -> Datum {
        try {
            json::JsonValue data = json::parse_json(text);  // JsonParseError: see the catch below
            if (!data.is_object())
                throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, "record data must be a JSON object of properties");
            auto types = rushdb::records::infer_property_types(data);
            return jsonb_datum(json::to_json(rushdb::records::property_types_json(types)));
        } catch (const rushdb::records::PropertyError& e) {
            throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, e.what());
        } catch (const json::JsonParseError& e) {
            throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, std::string("record data: ") + e.what());
        }
    });
}

}  // extern "C"
