// Record ids: RFC 9562 UUID version 7.
//
//   bits 0-47    unix_ts_ms  milliseconds since 1970-01-01 UTC, big-endian
//   bits 48-51   version     0b0111
//   bits 52-63   rand_a      a 12-bit counter (RFC 9562 section 6.2, method 1)
//   bits 64-65   variant     0b10
//   bits 66-127  rand_b      62 random bits, fresh for every id
//
// Ids from one generator sort (as bytes, as uuid, or as text) in the order
// they were made. Within one millisecond the counter orders them: it starts
// at a random value below 2048 (its top bit clear, leaving at least 2048 more
// ids in that millisecond) and counts up. When it would pass 4095, or when the
// clock goes backwards, the generator keeps its own timestamp and moves it
// forward instead of following the clock, so order is never broken; the clock
// catches up as soon as it passes the generator's timestamp.
//
// Order holds per generator; two generators (two backends) in the same
// millisecond interleave by their random counters. A generator is not
// thread-safe: use one per thread (PostgreSQL backends are single-threaded).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

namespace rushdb::records {

struct Uuid {
    std::array<std::uint8_t, 16> bytes{};
};

inline bool operator==(const Uuid& a, const Uuid& b) noexcept { return a.bytes == b.bytes; }
inline bool operator!=(const Uuid& a, const Uuid& b) noexcept { return a.bytes != b.bytes; }
inline bool operator<(const Uuid& a, const Uuid& b) noexcept { return a.bytes < b.bytes; }

// 64 random bits per call. The PostgreSQL glue passes pg_strong_random; an
// exception thrown by the source (e.g. when no entropy is available) leaves
// the generator unchanged and propagates out of next().
using RandomSource = std::function<std::uint64_t()>;
// Milliseconds since the Unix epoch.
using MillisecondClock = std::function<std::uint64_t()>;

// std::chrono::system_clock in milliseconds since the Unix epoch.
std::uint64_t system_unix_ms();

class UuidV7Generator {
public:
    explicit UuidV7Generator(RandomSource random, MillisecondClock clock = system_unix_ms);

    // A new id, greater than every id this generator returned before.
    Uuid next();

private:
    RandomSource random_;
    MillisecondClock clock_;
    bool started_ = false;
    std::uint64_t last_ms_ = 0;  // timestamp of the previous id (48 bits)
    std::uint16_t counter_ = 0;  // rand_a of the previous id (12 bits)
};

// Canonical text: 36 lower-case characters, 8-4-4-4-12 hex digits.
constexpr std::size_t kUuidTextLength = 36;
void format_uuid(const Uuid& id, char (&out)[kUuidTextLength]) noexcept;  // no NUL written
std::string format_uuid(const Uuid& id);

// The fields of an id, for checks and tests.
std::uint64_t uuid_unix_ms(const Uuid& id) noexcept;  // bits 0-47
unsigned uuid_version(const Uuid& id) noexcept;       // bits 48-51
unsigned uuid_variant_bits(const Uuid& id) noexcept;  // bits 64-65 (0b10 for RFC 9562)

}  // namespace rushdb::records
