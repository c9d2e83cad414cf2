// The C++ / PostgreSQL error boundary.
//
// PostgreSQL raises errors with longjmp; C++ unwinds with exceptions. The two
// must never cross:
//  * `guarded(fn)` runs C++ code from an extern "C" entry point. Any exception
//    is caught, the frame's destructors run as the exception unwinds, and only
//    after the try block is left is ereport(ERROR) raised, from a frame with no
//    live C++ objects.
//  * `pg_call(fn)` runs a PostgreSQL call that may ereport from inside C++
//    code: the error is caught with PG_TRY, copied, the error state flushed,
//    and it is rethrown as a C++ exception (PgError) so destructors run.
//
// Code that holds no objects with non-trivial destructors (most of the
// vector type's functions) may call ereport directly and needs neither.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "pg_prelude.hpp"

namespace rushdb::pg {

// An error meant for the user, with its SQLSTATE (ERRCODE_* value).
class UserError : public std::exception {
public:
    UserError(int sqlstate, std::string message, std::string detail = {}, std::string hint = {})
        : sqlstate_(sqlstate), message_(std::move(message)), detail_(std::move(detail)), hint_(std::move(hint)) {}
    const char* what() const noexcept override { return message_.c_str(); }
    int sqlstate() const noexcept { return sqlstate_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::string& hint() const noexcept { return hint_; }

private:
    int sqlstate_;
    std::string message_, detail_, hint_;
};

// A PostgreSQL error caught by pg_call, carried as a C++ exception. The
// ErrorData lives in pg_call's own context until the next error is caught.
class PgError : public std::exception {
public:
    explicit PgError(ErrorData* data) : data_(data) {}
    const char* what() const noexcept override { return data_->message ? data_->message : "error"; }
    ErrorData* data() const noexcept { return data_; }

private:
    ErrorData* data_;
};

// Where pg_call keeps the one error in flight: a context of its own under
// TopMemoryContext, reset when the next error is caught, so the ErrorData
// outlives the transaction (or SPI) context the call ran in, which an
// unwinding destructor may abort before the error reaches guarded().
inline ErrorData* copy_error_data() {
    static MemoryContext context = nullptr;
    if (context == nullptr)
        context = AllocSetContextCreate(TopMemoryContext, "rushdb error in flight", ALLOCSET_SMALL_SIZES);
    MemoryContextReset(context);
    MemoryContext old = MemoryContextSwitchTo(context);
    ErrorData* copy = CopyErrorData();
    MemoryContextSwitchTo(old);
    return copy;
}

// The one PG_TRY of pg_call. -Wclobbered: nothing assigned inside PG_TRY is
// read after a longjmp but `caught`, which is volatile (and `cpp_error`,
// which a longjmp leaves unset: no exception is in flight then).
namespace detail {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wclobbered"
template <class Fn>
void pg_try(Fn& fn) {
    MemoryContext caller_context = CurrentMemoryContext;
    ErrorData* volatile caught = nullptr;
    // A C++ exception must not unwind through PG_TRY (it would leave
    // PostgreSQL's error stack pointing at a dead frame): it is caught inside
    // and rethrown once PG_END_TRY has restored the stack.
    std::exception_ptr cpp_error;
    PG_TRY();
    {
        try {
            fn();
        } catch (...) {
            cpp_error = std::current_exception();
        }
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(caller_context);
        caught = copy_error_data();
        FlushErrorState();
    }
    PG_END_TRY();
    if (caught != nullptr) throw PgError(caught);
    if (cpp_error) std::rethrow_exception(cpp_error);
}
#pragma GCC diagnostic pop

}  // namespace detail

// Runs fn() and returns what it returns; a PostgreSQL error comes out as
// PgError. A value is kept in a slot outside the PG_TRY frame and is only
// read once the call returned normally.
template <class Fn>
auto pg_call(Fn&& fn) -> decltype(fn()) {
    using Result = decltype(fn());
    if constexpr (std::is_void_v<Result>) {
        detail::pg_try(fn);
    } else {
        std::optional<Result> result;
        auto store = [&] { result.emplace(fn()); };
        detail::pg_try(store);
        return std::move(*result);
    }
}

namespace detail {

// Plain storage for an error on its way out of the C++ frame: no destructors.
struct PendingError {
    int sqlstate;
    char message[1024];
    char detail[1024];
    char hint[512];
    ErrorData* pg;  // set when rethrowing a PostgreSQL error unchanged
};

inline void copy_text(char* dst, std::size_t cap, const char* src) {
    snprintf(dst, cap, "%s", src ? src : "");  // PostgreSQL maps snprintf to pg_snprintf
}

[[noreturn]] inline void raise(const PendingError& e) {
    if (e.pg != nullptr) ReThrowError(e.pg);
    ereport(ERROR, (errcode(e.sqlstate), errmsg("%s", e.message), e.detail[0] ? errdetail("%s", e.detail) : 0,
                    e.hint[0] ? errhint("%s", e.hint) : 0));
    pg_unreachable();
}

}  // namespace detail

template <class Fn>
auto guarded(Fn&& fn) -> decltype(fn()) {
    detail::PendingError pending;
    pending.pg = nullptr;
    pending.detail[0] = pending.hint[0] = '\0';
    try {
        return fn();
    } catch (const PgError& e) {
        pending.pg = e.data();
    } catch (const UserError& e) {
        pending.sqlstate = e.sqlstate();
        detail::copy_text(pending.message, sizeof pending.message, e.what());
        detail::copy_text(pending.detail, sizeof pending.detail, e.detail().c_str());
        detail::copy_text(pending.hint, sizeof pending.hint, e.hint().c_str());
    } catch (const std::bad_alloc&) {
        pending.sqlstate = ERRCODE_OUT_OF_MEMORY;
        detail::copy_text(pending.message, sizeof pending.message, "out of memory");
    } catch (const std::exception& e) {
        pending.sqlstate = ERRCODE_INTERNAL_ERROR;
        detail::copy_text(pending.message, sizeof pending.message, e.what());
    } catch (...) {
        pending.sqlstate = ERRCODE_INTERNAL_ERROR;
        detail::copy_text(pending.message, sizeof pending.message, "unknown C++ exception");
    }
    detail::raise(pending);
}

}  // namespace rushdb::pg
