// `gpufleet plan train --sweep`: every parallel configuration of a job on its placement, the
// fastest that fit printed as a table or JSON (physics/training_sweep.h).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "model/allocation.h"
#include "model/fleet.h"
#include "physics/step_time.h"

namespace gpufleet::cli {

struct SweepRequest {
  int gpus = 0;
  // What the command line fixed: the space then holds only that value.
  std::optional<int> tp, cp, pp, zero;
  std::optional<Recompute> recompute;
  size_t top = 10;
  bool json = false;
};

// Prints the sweep of `base` (the model, global batch and implementation efficiency) on the first
// GPUs of `allocation`; the exit code (2 when nothing fits, with why).
int PrintSweep(const Fleet& fleet, const Allocation& allocation, const TrainingJob& base,
               const SweepRequest& request);

}  // namespace gpufleet::cli
