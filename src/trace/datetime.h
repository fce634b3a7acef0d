// Timestamps as traces write them, to seconds since 1970-01-01 UTC (proleptic Gregorian, no
// leap seconds): "2017-10-09 07:01:55", "2023-05-17 11:00:58+00:00", "2020-04-01T00:00:19Z",
// with optional fractional seconds. A timestamp without an offset is taken as UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace gpufleet {

std::optional<double> ParseDateTime(std::string_view text);
// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d);

}  // namespace gpufleet
