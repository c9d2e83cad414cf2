// Who runs what (docs/security.md): the extension's owner, the vector
// tables it owns, and the check that a relation named in the catalog is
// one of them.
#pragma once

#include "pg_prelude.hpp"

namespace rushdb::pg {

// pg_extension.extowner of rushdb (InvalidOid when the extension is gone).
Oid extension_owner();

// The vector table rushdb_internal.<table> of index `index_id`, checked to
// be a plain table owned by the extension's owner. Raises a clear error
// (with how to repair) when it is missing or anything else; with
// missing_ok, a missing table gives InvalidOid. May ereport: call it from
// C code, or through pg_call.
Oid checked_vector_storage(const char* table, const char* index_id, bool missing_ok);

// search_path = pg_catalog, pg_temp at a new GUC nest level; undo with
// AtEOXact_GUC(true, level) (an error undoes it by itself).
int pin_search_path();

}  // namespace rushdb::pg
