// Several simulations run side by side on one clock (the virtual clusters of a replay, each on its
// own fleet) as one result, so that the usual metrics come out overall and per run.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/simulator.h"

namespace gpufleet {

struct SideBySideRun {
  const SimResult* result = nullptr;
  // Host CPU (milli-cores) and memory (MiB) its fleet models (0: none). After the run's own end
  // its fleet stays available until the last run ends: its GPUs (result->total_gpus) and these.
  std::int64_t cpu_milli = 0, memory_mib = 0;
};

// Keeps every total: jobs side by side (job ids and tenants renumbered after the runs before),
// tenants and sites listed run by run, counts, integrals and failure statistics summed; the end is
// the last run's end, and the merged run stopped at --until if any run did. Availability is
// extended to that end as SideBySideRun says; energy and carbon are as each run measured them.
SimResult MergeResults(const std::vector<SideBySideRun>& runs);

}  // namespace gpufleet
