// What each site carries now, for GET /v1/sites and /metrics: nodes and GPUs up and busy, and the
// IT power that draws by the twin's power model (physics/power.h: idle nodes plus an increment
// per busy GPU at the job's utilization), against the site's budget.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "sched/scheduler.h"
#include "server/live_job.h"

namespace gpufleet {

struct SiteLoad {
  std::string name;
  std::int64_t nodes = 0, nodes_up = 0;
  std::int64_t gpus = 0, gpus_up = 0;
  double gpus_busy = 0;       // shares add up (milli-GPU / 1000)
  double it_power_w = 0;      // of the nodes up
  double power_budget_w = 0;  // 0: none
};

std::vector<SiteLoad> SiteLoads(const Fleet& fleet, const Scheduler& scheduler,
                                const std::map<JobId, LiveJob>& jobs);

}  // namespace gpufleet
