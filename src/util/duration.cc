#include "util/duration.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace gpufleet {
namespace {

struct Unit {
  std::string_view suffix;
  SimTime scale;
};
// Longest suffix first so that "ms" is not read as "m" followed by junk.
constexpr Unit kUnits[] = {{"ms", kMillisecond}, {"s", kSecond}, {"m", kMinute},
                           {"h", kHour},         {"d", kDay},    {"w", 7 * kDay}};

Error Expected(std::string_view text) {
  return Error{
      "expected a duration such as 90s, 30m, 12h, 30d or 1d12h (units ms, s, m, h, d, w), got '" +
      std::string(text) + "'"};
}

}  // namespace

Result<SimTime> ParseDuration(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text == "0") return SimTime{0};
  if (text.empty()) return Expected(text);
  if (text.front() == '-') {
    return Error{"expected a non-negative duration, got '" + std::string(text) + "'"};
  }
  // One or more <number><unit> parts, summed: "90s", "1.5h", "9d12h", "2h30m".
  const std::string_view whole = text;
  double ms = 0;
  while (!text.empty()) {
    size_t n = 0;
    while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) || text[n] == '.'))
      ++n;
    size_t u = n;
    while (u < text.size() && std::isalpha(static_cast<unsigned char>(text[u]))) ++u;
    if (n == 0 || u == n) return Expected(whole);
    const std::string number(text.substr(0, n));
    const std::string_view unit = text.substr(n, u - n);
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size() || !std::isfinite(value)) return Expected(whole);
    const Unit* found = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.suffix == unit) found = &candidate;
    }
    if (found == nullptr) return Expected(whole);
    ms += value * static_cast<double>(found->scale);
    if (ms > 9.0e15) return Error{"duration '" + std::string(whole) + "' is too large"};
    text.remove_prefix(u);
  }
  return static_cast<SimTime>(std::llround(ms));
}

}  // namespace gpufleet
