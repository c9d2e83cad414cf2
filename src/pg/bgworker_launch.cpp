#include "bgworker_launch.hpp"

#include <cstring>

extern "C" {
#include "postmaster/bgworker.h"
}

namespace rushdb::pg {

bool register_dynamic_worker(const char* function, const char* name, const char* type, Datum arg, const void* extra,
                             std::size_t extra_len) {
    BackgroundWorker w;
    std::memset(&w, 0, sizeof w);
    w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    w.bgw_start_time = BgWorkerStart_RecoveryFinished;
    w.bgw_restart_time = BGW_NEVER_RESTART;
    snprintf(w.bgw_library_name, BGW_MAXLEN, "rushdb");
    snprintf(w.bgw_function_name, BGW_MAXLEN, "%s", function);
    snprintf(w.bgw_name, BGW_MAXLEN, "%s", name);
    snprintf(w.bgw_type, BGW_MAXLEN, "%s", type);
    w.bgw_main_arg = arg;
    if (extra != nullptr) std::memcpy(w.bgw_extra, extra, extra_len < BGW_EXTRALEN ? extra_len : BGW_EXTRALEN);
    w.bgw_notify_pid = 0;
    BackgroundWorkerHandle* handle = nullptr;
    return RegisterDynamicBackgroundWorker(&w, &handle);
}

}  // namespace rushdb::pg
