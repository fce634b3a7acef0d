// When will each waiting job start? The forecast runs a copy of the live scheduler forward in
// simulated time (docs/ARCHITECTURE.md, "The forecast"): the same policy and code, the running
// jobs ending at their estimates, the waiting ones started by the policy's own passes, no node
// coming or going. Slurm's `squeue --start` looks only at the reservation of the queue's head;
// this answers for every job, and it is as right as the users' estimates.
//
// Pure: a snapshot and the estimates in, start and end times out; no clock, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/fleet.h"
#include "sched/scheduler.h"
#include "util/result.h"

namespace gpufleet {

struct ForecastInput {
  const Fleet* fleet = nullptr;
  SchedulerConfig config;
  std::vector<Tenant> tenants;
  std::string snapshot;  // Scheduler::Snapshot() of the live scheduler at `now`
  SimTime now = 0;
  // Every live job's estimated run time (from start to end, without interruptions).
  std::unordered_map<JobId, SimTime> estimates;
  SimTime horizon = 365 * kDay;  // jobs not started by now + horizon get no forecast
  std::int64_t max_passes = 2'000'000;
};

struct JobForecast {
  SimTime start = kNever;  // when it starts (or started); kNever: not within the horizon
  SimTime end = kNever;    // when it is estimated to end
};

struct Forecast {
  SimTime now = 0;
  std::unordered_map<JobId, JobForecast> jobs;  // every job waiting or running at `now`
  std::int64_t passes = 0;
};

Result<Forecast> RunForecast(const ForecastInput& input);

}  // namespace gpufleet
