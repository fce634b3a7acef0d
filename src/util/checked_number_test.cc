#include "util/checked_number.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace gpufleet {
namespace {

TEST(CheckedNumber, RoundsLikeLlroundInsideTheRange) {
  EXPECT_EQ(RoundedInRange(2.5, 0, 10, "a count").value(), 3);
  EXPECT_EQ(RoundedInRange(-2.5, -10, 10, "a count").value(), -3);
  EXPECT_EQ(RoundedInRange(0.4, 0, 10, "a count").value(), 0);
  EXPECT_EQ(RoundedInRange(10.4, 0, 10, "a count").value(), 10);
}

TEST(CheckedNumber, OutOfRangeNanAndInfinityAreErrors) {
  const Result<std::int64_t> big = RoundedInRange(1e300, 0, 10, "a count");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.message(), "expected a count from 0 to 10, got 1e+300");
  EXPECT_FALSE(RoundedInRange(10.5, 0, 10, "a count").ok());
  EXPECT_FALSE(RoundedInRange(-0.6, 0, 10, "a count").ok());
  EXPECT_EQ(RoundedInRange(std::nan(""), 0, 10, "a count").message(),
            "expected a count from 0 to 10, got NaN");
  EXPECT_FALSE(RoundedInRange(std::numeric_limits<double>::infinity(), 0, 10, "x").ok());
}

TEST(CheckedNumber, ScaledValuesAreCheckedInTheFinerUnit) {
  // 1.5 cores = 1500 milli-cores; the limit is given back in cores.
  EXPECT_EQ(ScaledInRange(1.5, 1000, 0, 1'000'000'000'000, "cores").value(), 1500);
  EXPECT_EQ(ScaledInRange(0.0015, 1000, 0, 10, "cores").value(), 2);
  const Result<std::int64_t> r = ScaledInRange(1e300, 1000, 0, 1'000'000'000'000, "cores");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "expected cores from 0 to 1000000000, got 1e+300");
  // A finite value whose product overflows to infinity is out of range, not infinite.
  EXPECT_FALSE(ScaledInRange(1e308, 1e10, 0, 10, "cores").ok());
}

TEST(CheckedNumber, CheckedArithmetic) {
  EXPECT_EQ(CheckedMul(3'000'000'000, 8), 24'000'000'000);
  EXPECT_EQ(CheckedMul(std::int64_t{1} << 62, 2), std::nullopt);
  EXPECT_EQ(CheckedAdd(std::numeric_limits<std::int64_t>::max(), 1), std::nullopt);
  EXPECT_EQ(CheckedAdd(-5, 3), -2);
}

TEST(CheckedNumber, ShownNumber) {
  EXPECT_EQ(ShownNumber(12000000), "12000000");
  EXPECT_EQ(ShownNumber(-1), "-1");
  EXPECT_EQ(ShownNumber(2.5), "2.5");
  EXPECT_EQ(ShownNumber(1e300), "1e+300");
}

}  // namespace
}  // namespace gpufleet
