// `gpufleet plan serve --workload FILE`: every service of a workload spec (docs/SPEC.md,
// "Services") sized on its own - the fewest replicas within its min and max that meet its SLO
// under its demand.
#pragma once

#include <cstdint>
#include <string>

namespace gpufleet::cli {

struct ServeWorkloadArgs {
  std::string workload;
  std::string service;     // only this one; empty: all
  std::string duration;    // of the demand; needed by generated demand, a trace's first part
  std::uint64_t seed = 1;  // the run's: services without a seed of their own draw from it
  bool seed_given = false;
  bool service_given = false;
  bool json = false;
};

int RunPlanServeWorkload(const ServeWorkloadArgs& args);

}  // namespace gpufleet::cli
