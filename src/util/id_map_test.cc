#include "util/id_map.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace gpufleet {
namespace {

TEST(IdMap, FindsWhatWasInsertedAndForgetsWhatWasErased) {
  IdMap m;
  EXPECT_FALSE(m.Find(7));
  EXPECT_TRUE(m.Insert(7, 0));
  EXPECT_FALSE(m.Insert(7, 3)) << "an id is there once";
  EXPECT_EQ(m.Find(7), 0);
  EXPECT_TRUE(m.Insert(-5, 2)) << "any 64-bit id";
  EXPECT_EQ(m.size(), 2u);
  EXPECT_TRUE(m.Erase(7));
  EXPECT_FALSE(m.Erase(7));
  EXPECT_FALSE(m.Find(7));
  EXPECT_EQ(m.Find(-5), 2);
  EXPECT_EQ(m.size(), 1u);
}

TEST(IdMap, AgreesWithUnorderedMapUnderRandomOperations) {
  // Ids from a small range so that runs collide, wrap around the table's end and are cut by
  // erasures; the table grows and shrinks through it.
  std::mt19937_64 rng(11);
  IdMap m;
  std::unordered_map<std::int64_t, std::int32_t> want;
  for (int step = 0; step < 200'000; ++step) {
    const int phase = (step / 20'000) % 2;  // fill, then drain
    const std::int64_t id = static_cast<std::int64_t>(rng() % 5'000) * (phase ? 1 : 977);
    const std::uint64_t op = rng() % 10;
    if (op < (phase ? 3u : 6u)) {
      const auto value = static_cast<std::int32_t>(rng() % 1'000'000);
      ASSERT_EQ(m.Insert(id, value), want.emplace(id, value).second) << step;
    } else if (op < 9) {
      ASSERT_EQ(m.Erase(id), want.erase(id) == 1) << step;
    } else {
      const auto it = want.find(id);
      ASSERT_EQ(m.Find(id), it == want.end() ? std::nullopt : std::optional(it->second)) << step;
    }
    ASSERT_EQ(m.size(), want.size());
  }
  for (const auto& [id, value] : want) ASSERT_EQ(m.Find(id), value);
}

}  // namespace
}  // namespace gpufleet
