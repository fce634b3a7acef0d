// Simulated time. Integer milliseconds since the start of the run: exact, totally ordered and
// identical on every machine (no floating-point drift over months of simulated time). Every layer
// keeps time as SimTime; seconds (as traces and published studies write them) become SimTime, and
// back, only through the conversions below.
#pragma once

#include <cstdint>
#include <limits>

#include "util/result.h"

namespace gpufleet {

using SimTime = std::int64_t;  // milliseconds
inline constexpr SimTime kMillisecond = 1;
inline constexpr SimTime kSecond = 1000;
inline constexpr SimTime kMinute = 60 * kSecond;
inline constexpr SimTime kHour = 60 * kMinute;
inline constexpr SimTime kDay = 24 * kHour;
inline constexpr SimTime kNever = std::numeric_limits<SimTime>::max();
// The latest time, and the longest duration, the scheduler accepts: ~36 million years. Beyond it
// a call is refused, so that a time plus a duration, or GPUs times a duration, never overflows.
inline constexpr SimTime kLatestTime = SimTime{1} << 60;

// Seconds to the nearest millisecond (halves away from zero). NaN, infinities and values beyond
// ±2^63 ms (about 292 million years) are errors, not undefined behaviour.
Result<SimTime> SecondsToMs(double seconds);
// Whole seconds, exactly; beyond ±2^63 ms an error.
Result<SimTime> WholeSecondsToMs(std::int64_t seconds);

inline constexpr double ToSeconds(SimTime t) { return static_cast<double>(t) / kSecond; }
// Whole seconds of t, truncated toward zero: for outputs written in seconds.
inline constexpr std::int64_t WholeSeconds(SimTime t) { return t / kSecond; }

}  // namespace gpufleet
