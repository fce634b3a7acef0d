#include "spec/hourly_csv.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace gpufleet {
namespace {

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::filesystem::path p = std::filesystem::path(::testing::TempDir()) / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

std::string Hours(int n, const std::string& value) {
  std::string out;
  for (int i = 0; i < n; ++i) out += value + "\r\n";
  return out;
}

// Issue 11 item 9: a series saved by a spreadsheet program starts with a UTF-8 byte order mark,
// which made its first value "not a number". It is skipped, on the first line only.
TEST(HourlyCsv, ByteOrderMarkIsSkipped) {
  const std::string path = WriteFile("bom_hours.csv", "\xEF\xBB\xBF" + Hours(24, "21.5"));
  const Result<std::vector<double>> v = ReadHourlyCsv(path, -60, 60, "a temperature");
  ASSERT_TRUE(v.ok()) << v.message();
  ASSERT_EQ(v.value().size(), 24u);
  EXPECT_EQ(v.value()[0], 21.5);
  // Elsewhere it is no number: line 2.
  const std::string inner = WriteFile("bom_inner.csv",
                                      "1\n\xEF\xBB\xBF"
                                      "2\n" +
                                          Hours(24, "3"));
  const Result<std::vector<double>> bad = ReadHourlyCsv(inner, -60, 60, "a temperature");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message().rfind(inner + ":2:1: expected a temperature", 0), 0u) << bad.message();
}

// A series is held in memory: at most 1,000,000 values (a century of hours), an error at the line
// past it rather than a read until memory runs out. A bad line is quoted short and escaped.
TEST(HourlyCsv, SeriesAreBoundedAndBadLinesQuotedShort) {
  const std::string path = WriteFile("long_hours.csv", Hours(1'000'001, "1"));
  const Result<std::vector<double>> v = ReadHourlyCsv(path, -60, 60, "a temperature");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.message(), path +
                             ":1000001:1: more than 1000000 hourly values, the most a series "
                             "may have (docs/SPEC.md, \"Limits\")");
  const std::string bad = WriteFile("bad_hours.csv", "1\n\x01" + std::string(100, 'x') + "\n");
  const Result<std::vector<double>> b = ReadHourlyCsv(bad, -60, 60, "a temperature");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.message(),
            bad + ":2:1: expected a temperature, got '\\x01" + std::string(39, 'x') + "...'");
}

}  // namespace
}  // namespace gpufleet
