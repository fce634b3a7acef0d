// Wall times (milliseconds since the Unix epoch) as text in UTC: what the API answers, what a
// reason shows a user and what a log line starts with. Formatting a given time only: the clock is
// the caller's (DESIGN.md: time is injected).
#pragma once

#include <cstdint>
#include <string>

namespace gpufleet {

enum class UtcStyle {
  kIsoMillis,  // 2026-12-05T14:05:00.123Z (RFC 3339, the API)
  kIso,        // 2026-12-05T14:05:00Z (logs)
  kReadable,   // 2026-12-05 14:05:00 UTC (words a user reads)
};
std::string UtcText(std::int64_t ms_since_epoch, UtcStyle style);

}  // namespace gpufleet
