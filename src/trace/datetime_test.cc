#include "trace/datetime.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "trace/inspect.h"

namespace gpufleet {
namespace {

// Expected values computed with Python:
//   (datetime.date.fromisoformat(s) - datetime.date(1970, 1, 1)).days
TEST(DateTime, DaysFromCivilKnownDates) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1970, 1, 2), 1);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(2000, 2, 29), 11016);  // leap day of a year divisible by 400
  EXPECT_EQ(DaysFromCivil(2016, 2, 29), 16860);  // leap day
  EXPECT_EQ(DaysFromCivil(2016, 3, 1), 16861);   // the day after it
  EXPECT_EQ(DaysFromCivil(2017, 10, 9), 17448);
  // 1900 is not a leap year: Feb 28 and Mar 1 are consecutive.
  EXPECT_EQ(DaysFromCivil(1900, 3, 1) - DaysFromCivil(1900, 2, 28), 1);
}

// datetime.datetime(2017, 10, 9, 7, 1, 55, tzinfo=datetime.timezone.utc).timestamp()
constexpr double kOct9 = 1507532515.0;

TEST(DateTime, ParsesSpaceSeparatedUtc) {
  std::optional<double> t = ParseDateTime("2017-10-09 07:01:55");
  ASSERT_TRUE(t.has_value());
  EXPECT_DOUBLE_EQ(*t, kOct9);
  EXPECT_DOUBLE_EQ(ParseDateTime("1970-01-01 00:00:00").value_or(-1), 0.0);
  // Surrounding spaces are tolerated.
  EXPECT_DOUBLE_EQ(ParseDateTime("  2017-10-09 07:01:55 ").value_or(-1), kOct9);
}

TEST(DateTime, ParsesTSeparatorAndZ) {
  EXPECT_DOUBLE_EQ(ParseDateTime("2017-10-09T07:01:55").value_or(-1), kOct9);
  EXPECT_DOUBLE_EQ(ParseDateTime("2017-10-09T07:01:55Z").value_or(-1), kOct9);
  EXPECT_DOUBLE_EQ(ParseDateTime("2017-10-09 07:01:55Z").value_or(-1), kOct9);
}

TEST(DateTime, ParsesFractionalSeconds) {
  EXPECT_NEAR(ParseDateTime("2017-10-09 07:01:55.25").value_or(-1), kOct9 + 0.25, 1e-6);
  EXPECT_NEAR(ParseDateTime("2017-10-09T07:01:55.500Z").value_or(-1), kOct9 + 0.5, 1e-6);
  EXPECT_NEAR(ParseDateTime("2017-10-09 07:01:55.123456").value_or(-1), kOct9 + 0.123456, 1e-6);
}

TEST(DateTime, OffsetsGiveUtc) {
  // 15:01:55 at UTC+8 is 07:01:55 UTC; 02:01:55 at UTC-5 is 07:01:55 UTC.
  EXPECT_DOUBLE_EQ(ParseDateTime("2017-10-09 15:01:55+08:00").value_or(-1), kOct9);
  EXPECT_DOUBLE_EQ(ParseDateTime("2017-10-09T02:01:55-05:00").value_or(-1), kOct9);
  EXPECT_DOUBLE_EQ(ParseDateTime("2017-10-09 07:01:55+00:00").value_or(-1), kOct9);
  EXPECT_DOUBLE_EQ(ParseDateTime("2017-10-09 15:01:55+0800").value_or(-1), kOct9);
  EXPECT_DOUBLE_EQ(ParseDateTime("2017-10-09 12:31:55+05:30").value_or(-1), kOct9);
  // An offset that crosses midnight and a fraction with an offset.
  EXPECT_DOUBLE_EQ(ParseDateTime("2017-10-08 23:01:55-08:00").value_or(-1), kOct9);
  EXPECT_NEAR(ParseDateTime("2017-10-09 15:01:55.75+08:00").value_or(-1), kOct9 + 0.75, 1e-6);
}

TEST(DateTime, DateOnlyIsMidnightUtc) {
  EXPECT_DOUBLE_EQ(ParseDateTime("2017-10-09").value_or(-1), 17448.0 * 86400);
  EXPECT_DOUBLE_EQ(ParseDateTime("1970-01-01").value_or(-1), 0.0);
  EXPECT_DOUBLE_EQ(ParseDateTime("2016-02-29").value_or(-1), 16860.0 * 86400);
}

TEST(DateTime, RejectsGarbageAndMissingFields) {
  for (const char* bad : {
           "",
           "garbage",
           "None",
           "2017",
           "2017-10",                  // no day
           "2017-10-9",                // one-digit day
           "17-10-09 07:01:55",        // two-digit year
           "2017/10/09 07:01:55",      // wrong separator
           "2017-13-01 00:00:00",      // month 13
           "2017-00-10 00:00:00",      // month 0
           "2017-10-00 00:00:00",      // day 0
           "2017-10-32 00:00:00",      // day 32
           "2017-10-09 07",            // no minutes
           "2017-10-09 07:01",         // no seconds
           "2017-10-09 07:01:",        // empty seconds
           "2017-10-09 24:00:00",      // hour 24
           "2017-10-09 07:60:00",      // minute 60
           "2017-10-09 07:01:55.",     // a dot without digits
           "2017-10-09 07:01:55 UTC",  // a zone name
           "2017-10-09 07:01:55+8",    // a one-digit offset
           "2017-10-09 07:01:55x",     // trailing junk
           "2017-10-09X07:01:55",      // unknown date/time separator
       }) {
    EXPECT_FALSE(ParseDateTime(bad).has_value()) << "accepted '" << bad << "'";
  }
}

// A date that does not exist must not silently become another one (2017-02-30 is not 2017-03-02).
TEST(DateTime, RejectsDayPastTheEndOfItsMonth) {
  for (const char* bad : {"2017-02-29", "2017-02-30", "2017-04-31", "1900-02-29",
                          "2017-06-31 12:00:00", "2017-09-31T00:00:00Z"}) {
    EXPECT_FALSE(ParseDateTime(bad).has_value()) << "accepted '" << bad << "'";
  }
  EXPECT_TRUE(ParseDateTime("2016-02-29").has_value());
  EXPECT_TRUE(ParseDateTime("2000-02-29").has_value());
  EXPECT_TRUE(ParseDateTime("2017-01-31").has_value());
}

// A UTC offset is [+-]HH[:MM] with HH <= 23 (in practice <= 14) and MM <= 59.
TEST(DateTime, RejectsMalformedOffsets) {
  for (const char* bad : {"2017-10-09 07:01:55+08:", "2017-10-09 07:01:55+24:00",
                          "2017-10-09 07:01:55+08:60", "2017-10-09 07:01:55+99"}) {
    EXPECT_FALSE(ParseDateTime(bad).has_value()) << "accepted '" << bad << "'";
  }
}

TEST(DateTime, FormatEpochRoundTrip) {
  for (const char* s :
       {"1970-01-01 00:00:00", "2017-10-09 07:01:55", "2017-09-04 10:30:41", "2017-12-22 08:02:11",
        "2000-02-29 23:59:59", "2000-03-01 00:00:00", "2016-12-31 23:59:59", "2023-05-17 11:00:58",
        "2100-03-01 12:34:56", "1969-12-31 23:59:59", "1900-01-01 00:00:00"}) {
    std::optional<double> t = ParseDateTime(s);
    ASSERT_TRUE(t.has_value()) << s;
    EXPECT_EQ(FormatEpoch(*t), s);
  }
  EXPECT_EQ(FormatEpoch(0), "1970-01-01 00:00:00");
  EXPECT_EQ(FormatEpoch(kOct9), "2017-10-09 07:01:55");
  // Fractions are truncated toward the earlier second, also before 1970.
  EXPECT_EQ(FormatEpoch(kOct9 + 0.999), "2017-10-09 07:01:55");
  EXPECT_EQ(FormatEpoch(-0.5), "1969-12-31 23:59:59");
  // Formatting then parsing gives the same second.
  for (double epoch : {0.0, 951782400.0, 1504521041.0, 1513929731.0, 4102444800.0}) {
    EXPECT_DOUBLE_EQ(ParseDateTime(FormatEpoch(epoch)).value_or(-1), epoch);
  }
}

}  // namespace
}  // namespace gpufleet
