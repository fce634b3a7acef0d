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
  return Error{"expected a duration such as 90s, 30m, 12h or 30d (units ms, s, m, h, d, w), got '" +
               std::string(text) + "'"};
}

}  // namespace

Result<SimTime> ParseDuration(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text == "0") return SimTime{0};
  for (const Unit& u : kUnits) {
    if (text.size() <= u.suffix.size() || text.substr(text.size() - u.suffix.size()) != u.suffix) {
      continue;
    }
    std::string number(text.substr(0, text.size() - u.suffix.size()));
    if (number.empty() || !(std::isdigit(static_cast<unsigned char>(number[0])) || number[0] == '.')) {
      if (!number.empty() && number[0] == '-') {
        return Error{"expected a non-negative duration, got '" + std::string(text) + "'"};
      }
      return Expected(text);
    }
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size() || !std::isfinite(value)) return Expected(text);
    double ms = value * static_cast<double>(u.scale);
    if (ms > 9.0e15) return Error{"duration '" + std::string(text) + "' is too large"};
    return static_cast<SimTime>(std::llround(ms));
  }
  return Expected(text);
}

std::string FormatDuration(SimTime t) {
  if (t == 0) return "0s";
  const Unit* best = &kUnits[0];
  for (const Unit& u : kUnits) {
    if (u.scale != 7 * kDay && t % u.scale == 0) best = &u;
  }
  return std::to_string(t / best->scale) + std::string(best->suffix);
}

}  // namespace gpufleet
