#include "sim/job_run.h"

#include <algorithm>
#include <cmath>

#include "physics/checkpoint.h"
#include "physics/power.h"

namespace gpufleet {

SimTime Credit(SimTime elapsed, double rate) {
  return rate >= 1 ? elapsed
                   : static_cast<SimTime>(std::floor(static_cast<double>(elapsed) * rate));
}

SimTime WorkDone(const JobRecord& r, SimTime now) {
  const SimTime elapsed = now - r.segment_start;
  return r.progress + Credit(elapsed - std::min(elapsed, r.overhead_left), r.rate);
}

void Settle(JobRecord& r, SimTime now) {
  const SimTime elapsed = now - r.segment_start;
  const SimTime restarting = std::min(elapsed, r.overhead_left);
  r.overhead_left -= restarting;
  r.restart_ms += restarting;
  r.progress += Credit(elapsed - restarting, r.rate);
  r.segment_start = now;
}

void BeginRun(JobRecord& r, SimTime now) {
  r.run_start = r.segment_start = now;
  r.run_progress = r.progress;
  if (r.first_start < 0) r.first_start = now;
}

// A whole number of milliseconds computed in floating point, at most kLatestTime: a huge
// checkpoint over a slow store, or Daly's interval for a tiny failure rate, must not overflow the
// conversion (undefined behaviour). Values in range convert exactly as before.
static SimTime AtMostLatest(double ms) {
  return ms < static_cast<double>(kLatestTime) ? static_cast<SimTime>(ms) : kLatestTime;
}

void SetCheckpointing(JobRecord& r, double storage_gb_s, double failures_per_day) {
  SimTime write = r.spec.checkpoint_write;
  if (write == 0 && r.spec.checkpoint_size_gb > 0) {
    write = AtMostLatest(std::ceil(r.spec.checkpoint_size_gb / storage_gb_s * kSecond));
  }
  SimTime every = r.spec.checkpoint_interval;
  if (every == kCheckpointAuto) {
    every = 0;  // without failures there is nothing to checkpoint against
    if (failures_per_day > 0 && write > 0) {
      const double mtbf_ms = static_cast<double>(kDay) / failures_per_day;
      every = std::max<SimTime>(
          1, AtMostLatest(std::round(DalyInterval(static_cast<double>(write), mtbf_ms))));
    }
  }
  r.checkpoint_every = every;
  r.checkpoint_write = write;
  r.checkpoint_factor = every > 0 && write > 0
                            ? static_cast<double>(every) / static_cast<double>(every + write)
                            : 1.0;
}

void SetFreeCheckpointing(JobRecord& r) {
  r.checkpoint_every = r.spec.checkpoint_interval > 0 ? r.spec.checkpoint_interval : 0;
  r.checkpoint_write = 0;
}

double RunRate(const JobRecord& r, double cap) {
  return CappedSpeed(cap) * r.checkpoint_factor * r.placement_rate;
}

bool ChangeRate(JobRecord& r, double rate, SimTime now) {
  if (rate == r.rate) return false;
  Settle(r, now);
  r.rate = rate;
  ++r.epoch;
  return true;
}

SimTime FinishTime(const JobRecord& r) {
  const SimTime remaining = r.spec.duration - r.progress;
  constexpr double kLatest = 1e15;  // ms, ~31,700 years
  const double take = r.rate >= 1 ? static_cast<double>(remaining)
                                  : std::ceil(static_cast<double>(remaining) / r.rate);
  const double at = static_cast<double>(r.segment_start + r.overhead_left) + take;
  return at > kLatest ? kNever : static_cast<SimTime>(at);
}

// The wall time and GPU-time (exact, in milli-GPU x ms) of the run so far.
static void CountRunTime(JobRecord& r, SimTime now) {
  const SimTime ran = now - r.run_start;
  r.run_ms += ran;
  r.gpu_milli_ms += static_cast<std::int64_t>(r.spec.gpus) * r.spec.gpu_milli * ran;
}

void EndRun(JobRecord& r, SimTime now) {
  CountRunTime(r, now);
  r.run_start = r.segment_start = -1;
  r.rate = 1;
  r.checkpoint_factor = 1;  // placement_rate stays: the last run's, for the report
  ++r.epoch;
}

void CountRunAtEnd(JobRecord& r, SimTime end) {
  Settle(r, end);
  CountRunTime(r, end);
}

}  // namespace gpufleet
