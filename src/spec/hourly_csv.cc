#include "spec/hourly_csv.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/input_file.h"
#include "util/text.h"

namespace gpufleet {

Result<std::vector<double>> ReadHourlyCsv(const std::string& path, double lo, double hi,
                                          const std::string& what) {
  Result<std::ifstream> opened = OpenInputFile(path);
  if (!opened.ok()) return opened.error();
  std::ifstream& in = opened.value();
  std::ostringstream text;
  text << in.rdbuf();
  return ParseHourlyCsv(text.str(), path, lo, hi, what);
}

Result<std::vector<double>> ParseHourlyCsv(const std::string& text, const std::string& name,
                                           double lo, double hi, const std::string& what) {
  std::istringstream in(text);
  std::vector<double> values;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    // A UTF-8 byte order mark (as spreadsheet programs write) is not part of the first value.
    if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    char* end = nullptr;
    const double v = std::strtod(line.c_str(), &end);
    if (end != line.c_str() + line.size() || !std::isfinite(v) || v < lo || v > hi) {
      return Error{name + ":" + std::to_string(number) + ":1: expected " + what + ", got " +
                   QuotedExcerpt(line)};
    }
    if (values.size() == kMaxHourlyValues) {
      return Error{name + ":" + std::to_string(number) + ":1: more than " +
                   std::to_string(kMaxHourlyValues) +
                   " hourly values, the most a series may have (docs/SPEC.md, \"Limits\")"};
    }
    values.push_back(v);
  }
  if (values.size() < 24) return Error{name + ": expected at least 24 hourly values, one per line"};
  return values;
}

}  // namespace gpufleet
