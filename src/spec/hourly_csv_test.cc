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

}  // namespace
}  // namespace gpufleet
