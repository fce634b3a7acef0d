#include "util/checked_number.h"

#include <cstdio>

namespace gpufleet {

std::string ShownNumber(double value) {
  if (std::isnan(value)) return "NaN";
  char buf[32];
  if (std::fabs(value) < 1e15 && value == std::floor(value)) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
  } else {
    std::snprintf(buf, sizeof buf, "%.6g", value);
  }
  return buf;
}

Result<std::int64_t> RoundedInRange(double value, std::int64_t lo, std::int64_t hi,
                                    const std::string& what) {
  // Rounding first: a value that rounds into the range is in it (0.4 for a count >= 0).
  const double rounded = std::isfinite(value) ? std::round(value) : value;
  if (!InRange(rounded, static_cast<double>(lo), static_cast<double>(hi))) {
    return Error{"expected " + what + " from " + std::to_string(lo) + " to " + std::to_string(hi) +
                 ", got " + ShownNumber(value)};
  }
  // |rounded| <= 2^62 here: the conversion is exact and defined.
  return static_cast<std::int64_t>(rounded);
}

Result<std::int64_t> ScaledInRange(double value, double scale, std::int64_t lo, std::int64_t hi,
                                   const std::string& what) {
  const double scaled = value * scale;
  const double rounded = std::isfinite(scaled) ? std::round(scaled) : scaled;
  if (!std::isfinite(value) ||
      !InRange(rounded, static_cast<double>(lo), static_cast<double>(hi))) {
    return Error{"expected " + what + " from " + ShownNumber(static_cast<double>(lo) / scale) +
                 " to " + ShownNumber(static_cast<double>(hi) / scale) + ", got " +
                 ShownNumber(value)};
  }
  return static_cast<std::int64_t>(rounded);
}

}  // namespace gpufleet
