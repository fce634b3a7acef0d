#include "util/time.h"

#include <cmath>
#include <string>

namespace gpufleet {
namespace {

Error OutOfRange(const std::string& seconds) {
  return Error{seconds +
               " s is beyond the range of simulated time (milliseconds in 64 bits, "
               "about 292 million years)"};
}

}  // namespace

Result<SimTime> SecondsToMs(double seconds) {
  if (std::isnan(seconds)) return Error{"expected a number of seconds, got NaN"};
  const double ms = seconds * 1000.0;
  // llround's result must fit: |ms| < 2^63 (both bounds are exact doubles; infinities fail too).
  if (!(ms > -0x1p63 && ms < 0x1p63)) return OutOfRange(std::to_string(seconds));
  return static_cast<SimTime>(std::llround(ms));
}

Result<SimTime> WholeSecondsToMs(std::int64_t seconds) {
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<SimTime>::max() / kSecond;
  if (seconds > kMaxSeconds || seconds < -kMaxSeconds) return OutOfRange(std::to_string(seconds));
  return seconds * kSecond;
}

}  // namespace gpufleet
