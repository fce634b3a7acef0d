// Simulated time. Integer milliseconds since the start of the run: exact, totally ordered and
// identical on every machine (no floating-point drift over months of simulated time).
#pragma once

#include <cstdint>
#include <limits>

namespace gpufleet {

using SimTime = std::int64_t;  // milliseconds
inline constexpr SimTime kMillisecond = 1;
inline constexpr SimTime kSecond = 1000;
inline constexpr SimTime kMinute = 60 * kSecond;
inline constexpr SimTime kHour = 60 * kMinute;
inline constexpr SimTime kDay = 24 * kHour;
inline constexpr SimTime kNever = std::numeric_limits<SimTime>::max();

inline constexpr double ToSeconds(SimTime t) { return static_cast<double>(t) / kSecond; }

}  // namespace gpufleet
