// Every parallel configuration of a training job on a fixed placement, ranked (`gpufleet plan train
// --sweep`, docs/MODELS.md, "Sweeps"): TP x CP x PP x virtual stages x ZeRO stage x micro-batch x
// recomputation, each checked as a framework would (ValidateTrainingJob) and against the GPUs'
// memory, priced by the step-time model on the spans its groups take on the allocation.
#pragma once

#include <cstdint>
#include <vector>

#include "model/allocation.h"
#include "model/fleet.h"
#include "physics/step_time.h"
#include "physics/training_memory.h"

namespace gpufleet {

// The values tried per dimension; DP is always the GPUs over TP x CP x PP.
struct SweepSpace {
  std::vector<int> tp, cp, pp, virtual_stages, zero, micro_batch;
  std::vector<Recompute> recompute;
};

// Powers of two for TP up to the NVLink domain, CP up to 32 and micro-batches up to 8; every PP
// up to the layers; 1, 2, 4 or 8 interleaved chunks; ZeRO 0-3; none, selective and full
// recomputation.
SweepSpace DefaultSweepSpace(const TrainingJob& base, int gpus, int domain_gpus);

struct SweepPlan {
  TrainingJob job;
  StepTime step;
  TrainingMemory memory;
  MemoryFit fit = MemoryFit::kFits;
  double mfu = 0;
};

struct SweepResult {
  std::int64_t considered = 0;            // combinations of the space
  std::int64_t refused_by_framework = 0;  // DP not whole, ValidateTrainingJob's refusals
  std::int64_t refused_by_memory = 0;     // not even with fused kernels
  std::int64_t feasible = 0;              // priced
  std::vector<SweepPlan> best;            // the `keep` fastest, fastest first
};

// `base` gives the model, the global batch and the implementation efficiency; the allocation holds
// `gpus` GPUs. Spans are computed once per (TP, CP, PP). Deterministic: ties keep the space's
// order.
SweepResult SweepTrainingPlans(const Fleet& fleet, const Allocation& allocation,
                               const TrainingJob& base, int gpus, const SweepSpace& space,
                               size_t keep);

}  // namespace gpufleet
