// The one place C++ files include PostgreSQL headers from. Standard headers
// come first: PostgreSQL's macros (Max, Min, gettext, ...) must not be
// defined while libstdc++ headers are parsed.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}
