#include "util/duration.h"

#include <gtest/gtest.h>

namespace gpufleet {
namespace {

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(ParseDuration("90s").value(), 90 * kSecond);
  EXPECT_EQ(ParseDuration("30m").value(), 30 * kMinute);
  EXPECT_EQ(ParseDuration("12h").value(), 12 * kHour);
  EXPECT_EQ(ParseDuration("30d").value(), 30 * kDay);
  EXPECT_EQ(ParseDuration("2w").value(), 14 * kDay);
  EXPECT_EQ(ParseDuration("250ms").value(), 250);
  // 1.5 h = 90 min = 5,400,000 ms.
  EXPECT_EQ(ParseDuration("1.5h").value(), 5'400'000);
  EXPECT_EQ(ParseDuration("0").value(), 0);
  // 9 d 12 h = 9 x 86,400 s + 12 x 3,600 s = 820,800 s.
  EXPECT_EQ(ParseDuration("9d12h").value(), 820'800 * kSecond);
  EXPECT_EQ(ParseDuration("2h30m").value(), 150 * kMinute);
}

TEST(Duration, RejectsWhatIsNotADuration) {
  for (const char* bad :
       {"", "10", "h", "-5m", "5 minutes", "1e400h", "abc", "5x", "5h-3m", "1d 2h", "3mm"}) {
    Result<SimTime> r = ParseDuration(bad);
    EXPECT_FALSE(r.ok()) << "accepted: \"" << bad << "\"";
    if (!r.ok()) {
      EXPECT_NE(r.message().find("'"), std::string::npos) << r.message();
    }
  }
}

}  // namespace
}  // namespace gpufleet
