#include "records/uuid_v7.hpp"

#include <chrono>
#include <stdexcept>
#include <utility>

namespace rushdb::records {

namespace {

constexpr std::uint64_t kTimestampMask = (std::uint64_t{1} << 48) - 1;
constexpr std::uint16_t kCounterMax = 0x0FFF;
// Seeds keep the counter's top bit clear so a millisecond has room for at
// least 2048 ids before the timestamp must move.
constexpr std::uint16_t kCounterSeedMask = 0x07FF;

}  // namespace

std::uint64_t system_unix_ms() {
    using namespace std::chrono;
    return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

UuidV7Generator::UuidV7Generator(RandomSource random, MillisecondClock clock)
    : random_(std::move(random)), clock_(std::move(clock)) {
    if (!random_) throw std::invalid_argument("UuidV7Generator needs a random source");
    if (!clock_) throw std::invalid_argument("UuidV7Generator needs a clock");
}

Uuid UuidV7Generator::next() {
    // Everything that can throw (the clock, the random source) runs before
    // the state changes.
    const std::uint64_t now = clock_() & kTimestampMask;
    std::uint64_t ms;
    std::uint16_t counter;
    if (!started_ || now > last_ms_) {
        ms = now;
        counter = static_cast<std::uint16_t>(random_() & kCounterSeedMask);
    } else if (counter_ < kCounterMax) {
        ms = last_ms_;  // same millisecond, or the clock went back
        counter = static_cast<std::uint16_t>(counter_ + 1);
    } else {
        ms = (last_ms_ + 1) & kTimestampMask;  // counter exhausted: borrow the next millisecond
        counter = static_cast<std::uint16_t>(random_() & kCounterSeedMask);
    }
    const std::uint64_t rand_b = random_();

    Uuid id;
    for (int i = 0; i < 6; ++i) id.bytes[i] = static_cast<std::uint8_t>(ms >> (8 * (5 - i)));
    id.bytes[6] = static_cast<std::uint8_t>(0x70 | (counter >> 8));
    id.bytes[7] = static_cast<std::uint8_t>(counter & 0xFF);
    id.bytes[8] = static_cast<std::uint8_t>(0x80 | ((rand_b >> 56) & 0x3F));
    for (int i = 9; i < 16; ++i) id.bytes[i] = static_cast<std::uint8_t>(rand_b >> (8 * (15 - i)));

    started_ = true;
    last_ms_ = ms;
    counter_ = counter;
    return id;
}

void format_uuid(const Uuid& id, char (&out)[kUuidTextLength]) noexcept {
    static const char kHex[] = "0123456789abcdef";
    std::size_t o = 0;
    for (std::size_t i = 0; i < id.bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
        out[o++] = kHex[id.bytes[i] >> 4];
        out[o++] = kHex[id.bytes[i] & 0xF];
    }
}

std::string format_uuid(const Uuid& id) {
    char buf[kUuidTextLength];
    format_uuid(id, buf);
    return std::string(buf, kUuidTextLength);
}

std::uint64_t uuid_unix_ms(const Uuid& id) noexcept {
    std::uint64_t ms = 0;
    for (int i = 0; i < 6; ++i) ms = (ms << 8) | id.bytes[i];
    return ms;
}

unsigned uuid_version(const Uuid& id) noexcept { return id.bytes[6] >> 4; }

unsigned uuid_variant_bits(const Uuid& id) noexcept { return id.bytes[8] >> 6; }

}  // namespace rushdb::records
