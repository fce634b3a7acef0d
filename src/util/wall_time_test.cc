#include "util/wall_time.h"

#include <gtest/gtest.h>

namespace gpufleet {
namespace {

TEST(WallTime, EachStyleOfOneInstant) {
  // 1796479500.123 s after the epoch is 2026-12-05 14:05:00.123 UTC (Python's
  // datetime.fromtimestamp(1796479500.123, timezone.utc)).
  constexpr std::int64_t kMs = 1'796'479'500'123;
  EXPECT_EQ(UtcText(kMs, UtcStyle::kIsoMillis), "2026-12-05T14:05:00.123Z");
  EXPECT_EQ(UtcText(kMs, UtcStyle::kIso), "2026-12-05T14:05:00Z");
  EXPECT_EQ(UtcText(kMs, UtcStyle::kReadable), "2026-12-05 14:05:00 UTC");
}

TEST(WallTime, TheEpochAndBeforeIt) {
  EXPECT_EQ(UtcText(0, UtcStyle::kIsoMillis), "1970-01-01T00:00:00.000Z");
  // One millisecond before the epoch: the last millisecond of 1969, not "-0.001".
  EXPECT_EQ(UtcText(-1, UtcStyle::kIsoMillis), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace gpufleet
