#include "util/time.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace gpufleet {
namespace {

TEST(SecondsToMs, RoundsToTheNearestMillisecond) {
  EXPECT_EQ(SecondsToMs(1.5).value(), 1500);
  EXPECT_EQ(SecondsToMs(0.0004).value(), 0);
  EXPECT_EQ(SecondsToMs(0.0005).value(), 1);    // halves away from zero, as llround
  EXPECT_EQ(SecondsToMs(-0.0005).value(), -1);  // differences of timestamps may be negative
  EXPECT_EQ(SecondsToMs(86400.0 * 365 * 100).value(), 100 * 365 * kDay);
}

TEST(SecondsToMs, NanInfinityAndOverflowAreErrors) {
  EXPECT_FALSE(SecondsToMs(std::nan("")).ok());
  EXPECT_FALSE(SecondsToMs(std::numeric_limits<double>::infinity()).ok());
  EXPECT_FALSE(SecondsToMs(-std::numeric_limits<double>::infinity()).ok());
  // 2^63 ms is 9.22e15 s: just past it fails, just below it fits.
  EXPECT_FALSE(SecondsToMs(9.3e15).ok());
  EXPECT_FALSE(SecondsToMs(-9.3e15).ok());
  EXPECT_TRUE(SecondsToMs(9.2e15).ok());
  EXPECT_NE(SecondsToMs(1e300).message().find("beyond the range"), std::string::npos);
}

TEST(WholeSecondsToMs, IsExactAndChecked) {
  EXPECT_EQ(WholeSecondsToMs(60).value(), kMinute);
  EXPECT_EQ(WholeSecondsToMs(-3).value(), -3 * kSecond);
  const std::int64_t max_s = std::numeric_limits<SimTime>::max() / kSecond;
  EXPECT_EQ(WholeSecondsToMs(max_s).value(), max_s * kSecond);
  EXPECT_FALSE(WholeSecondsToMs(max_s + 1).ok());
  EXPECT_FALSE(WholeSecondsToMs(std::numeric_limits<std::int64_t>::min()).ok());
}

TEST(SimTime, BackToSeconds) {
  EXPECT_EQ(ToSeconds(1500), 1.5);
  EXPECT_EQ(WholeSeconds(1999), 1);
  EXPECT_EQ(WholeSeconds(2 * kMinute), 120);
}

}  // namespace
}  // namespace gpufleet
