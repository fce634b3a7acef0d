#include "trace/inspect.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace gpufleet {

TraceStats InspectTrace(const TraceJobs& t) {
  TraceStats s;
  s.jobs = static_cast<std::int64_t>(t.jobs.size());
  s.tenants = static_cast<std::int64_t>(t.tenants.size());
  if (t.jobs.empty()) return s;
  s.span_s = ToSeconds(t.jobs.back().submit - t.jobs.front().submit);
  s.absolute = t.origin_epoch_s != 0;
  s.first_epoch_s = t.origin_epoch_s;
  s.last_epoch_s = t.origin_epoch_s + ToSeconds(t.jobs.back().submit);
  std::vector<double> durations;
  durations.reserve(t.jobs.size());
  long double gpu_ms = 0, sum = 0;
  for (const JobSpec& j : t.jobs) {
    s.jobs_by_gpus[j.gpus]++;
    durations.push_back(ToSeconds(j.duration));
    sum += ToSeconds(j.duration);
    gpu_ms += static_cast<long double>(j.duration) * j.gpus;
  }
  std::sort(durations.begin(), durations.end());
  // Nearest rank, as in the simulation report.
  auto rank = [&](double p) {
    const size_t r = static_cast<size_t>(
        std::max(1.0, std::ceil(p / 100.0 * static_cast<double>(durations.size()))));
    return durations[std::min(r, durations.size()) - 1];
  };
  s.duration_mean_s = static_cast<double>(sum / static_cast<long double>(durations.size()));
  s.duration_p50_s = rank(50);
  s.duration_p90_s = rank(90);
  s.duration_p99_s = rank(99);
  s.duration_max_s = durations.back();
  s.gpu_hours = static_cast<double>(gpu_ms / kHour);
  return s;
}

std::string FormatEpoch(double epoch_s) {
  const auto secs = static_cast<std::int64_t>(std::floor(epoch_s));
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days (Howard Hinnant).
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld:%02lld",
                static_cast<long long>(y + (m <= 2)), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  return buf;
}

}  // namespace gpufleet
