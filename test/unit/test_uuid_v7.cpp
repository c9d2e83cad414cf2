// UUIDv7 record ids: RFC 9562 layout, canonical text, and creation order
// (also within one millisecond, across counter overflow and a clock that
// steps back).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "records/uuid_v7.hpp"

using namespace rushdb::records;

namespace {

RandomSource seeded_random(unsigned seed) {
    auto rng = std::make_shared<std::mt19937_64>(seed);
    return [rng] { return (*rng)(); };
}

bool is_canonical_text(const std::string& s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (s[i] == '-')) return false;
        if (!dash && !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    }
    return s[14] == '7' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

}  // namespace

TEST(UuidV7, LayoutFollowsRfc9562) {
    std::uint64_t now = 0x0123456789ABull;
    UuidV7Generator gen([] { return ~std::uint64_t{0}; }, [&now] { return now; });
    const Uuid id = gen.next();
    EXPECT_EQ(uuid_unix_ms(id), 0x0123456789ABull);
    EXPECT_EQ(uuid_version(id), 7u);
    EXPECT_EQ(uuid_variant_bits(id), 0b10u);
    // All-ones randomness: counter seed 0x7FF (top bit kept clear), rand_b all ones.
    EXPECT_EQ(format_uuid(id), "01234567-89ab-77ff-bfff-ffffffffffff");
}

TEST(UuidV7, CanonicalText) {
    Uuid id;
    for (std::size_t i = 0; i < 16; ++i) id.bytes[i] = static_cast<std::uint8_t>(i * 17);
    EXPECT_EQ(format_uuid(id), "00112233-4455-6677-8899-aabbccddeeff");
    char buf[kUuidTextLength];
    format_uuid(id, buf);
    EXPECT_EQ(std::string(buf, kUuidTextLength), format_uuid(id));
}

TEST(UuidV7, IdsAreWellFormedAndSortByCreation) {
    UuidV7Generator gen(seeded_random(7));
    std::vector<Uuid> ids;
    std::vector<std::string> texts;
    for (int i = 0; i < 50000; ++i) {
        ids.push_back(gen.next());
        texts.push_back(format_uuid(ids.back()));
        ASSERT_TRUE(is_canonical_text(texts.back())) << texts.back();
    }
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    EXPECT_TRUE(std::adjacent_find(ids.begin(), ids.end()) == ids.end());  // strictly increasing
    EXPECT_TRUE(std::is_sorted(texts.begin(), texts.end()));               // text sorts the same way
    const std::uint64_t wall = system_unix_ms();
    EXPECT_LE(uuid_unix_ms(ids.front()), wall);
    EXPECT_GT(uuid_unix_ms(ids.front()), wall - 60000);
}

TEST(UuidV7, CounterOrdersIdsWithinOneMillisecond) {
    std::uint64_t now = 1700000000000ull;
    UuidV7Generator gen(seeded_random(1), [&now] { return now; });
    Uuid prev = gen.next();
    // Far more ids than one millisecond's counter holds: the generator moves its
    // timestamp forward rather than break the order.
    for (int i = 0; i < 20000; ++i) {
        const Uuid id = gen.next();
        ASSERT_LT(prev, id) << i;
        ASSERT_EQ(uuid_version(id), 7u);
        ASSERT_EQ(uuid_variant_bits(id), 0b10u);
        prev = id;
    }
    EXPECT_GT(uuid_unix_ms(prev), now);
    EXPECT_LE(uuid_unix_ms(prev), now + 20000 / 2048 + 1);

    // Once the clock passes the borrowed time, ids follow the clock again.
    now += 1000;
    const Uuid later = gen.next();
    EXPECT_EQ(uuid_unix_ms(later), now);
    EXPECT_LT(prev, later);
}

TEST(UuidV7, ClockSteppingBackKeepsOrder) {
    std::uint64_t now = 1700000000000ull;
    UuidV7Generator gen(seeded_random(2), [&now] { return now; });
    const Uuid a = gen.next();
    now -= 5000;  // e.g. an NTP correction
    const Uuid b = gen.next();
    const Uuid c = gen.next();
    EXPECT_LT(a, b);
    EXPECT_LT(b, c);
    EXPECT_EQ(uuid_unix_ms(b), uuid_unix_ms(a));
}

TEST(UuidV7, RandomBitsDiffer) {
    UuidV7Generator g1(seeded_random(11)), g2(seeded_random(12));
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        seen.insert(format_uuid(g1.next()));
        seen.insert(format_uuid(g2.next()));
    }
    EXPECT_EQ(seen.size(), 2000u);
}

TEST(UuidV7, FailingRandomSourceLeavesStateUntouched) {
    std::uint64_t now = 1700000000000ull;
    bool fail = false;
    auto rng = std::make_shared<std::mt19937_64>(3);
    UuidV7Generator gen(
        [&] {
            if (fail) throw std::runtime_error("no entropy");
            return (*rng)();
        },
        [&now] { return now; });
    const Uuid a = gen.next();
    fail = true;
    EXPECT_THROW(gen.next(), std::runtime_error);
    fail = false;
    const Uuid b = gen.next();
    EXPECT_LT(a, b);
    EXPECT_THROW(UuidV7Generator(RandomSource{}), std::invalid_argument);
}
