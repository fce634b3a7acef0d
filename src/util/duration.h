// Durations as people write them: "90s", "30m", "12h", "30d", "1.5h", "250ms", "9d12h".
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"
#include "util/time.h"

namespace gpufleet {

// Parses a non-negative duration: one or more <number><unit> parts (units ms, s, m, h, d, w),
// summed. A bare "0" is accepted.
// The error message says what was expected; callers prefix the location.
Result<SimTime> ParseDuration(std::string_view text);

}  // namespace gpufleet
