#include "util/wall_time.h"

#include <array>
#include <cstdio>
#include <ctime>

namespace gpufleet {

std::string UtcText(std::int64_t ms, UtcStyle style) {
  // Floor division, so that a time before 1970 keeps its milliseconds positive.
  std::int64_t seconds = ms / 1000, millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  std::array<char, 96> text{};
  const int year = utc.tm_year + 1900, month = utc.tm_mon + 1;
  switch (style) {
    case UtcStyle::kIsoMillis:
      std::snprintf(text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, month,
                    utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
      break;
    case UtcStyle::kIso:
      std::snprintf(text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month,
                    utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
      break;
    case UtcStyle::kReadable:
      std::snprintf(text.data(), text.size(), "%04d-%02d-%02d %02d:%02d:%02d UTC", year, month,
                    utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
      break;
  }
  return text.data();
}

}  // namespace gpufleet
