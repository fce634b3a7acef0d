// What a training run costs on its placement: step time, MFU, days, GPU-hours, energy, failures
// and checkpoints (docs/MODELS.md, "Training plans"; `gpufleet plan train`). Pure arithmetic over
// the step-time, power and checkpoint models; the caller places the job.
#pragma once

#include <optional>

#include "physics/failure_rates.h"
#include "physics/network.h"
#include "physics/step_time.h"
#include "physics/training_memory.h"

namespace gpufleet {

// Default failure rate: Llama 3 405B's 419 unexpected interruptions on 2,048 nodes in 54 days
// (physics/failure_rates.h): 0.00379 per node-day.
inline const double kLlama3NodeFailuresPerDay = Llama3NodeFailureRatePerDay();
// A checkpoint holds bf16 weights (2 B), the fp32 master weights (4 B) and Adam's two fp32
// moments (8 B) per parameter: 14 B, ZeRO's (Rajbhandari et al. 2020) 16 B of mixed-precision
// Adam state less the gradients, which are not saved. Llama 3 405B: 5.7 TB, 346 MB per GPU on
// 16,384 GPUs, inside REFERENCE.md's 1 MB-4 GB per GPU.
inline constexpr double kCheckpointBytesPerParameter = 14;
// Sustained storage bandwidth for checkpoints (Llama 3: 2 TB/s sustained, 7 TB/s peak).
inline constexpr double kCheckpointBytesPerSecond = 2e12;
// From a failure to training again, when not given (physics/failure_rates.h); the lost work since
// the last checkpoint is counted by the ETTR model itself.
inline constexpr double kDefaultRestartSeconds = ToSeconds(kDefaultRestartOverhead);

struct FailureAssumptions {
  double node_failures_per_day = kLlama3NodeFailuresPerDay;
  double restart_s = kDefaultRestartSeconds;
  std::optional<double> checkpoint_interval_s;  // none: Daly's optimum for the job's MTBF
};

struct TrainingPlan {
  Recompute recompute = Recompute::kNone;   // the job's, or what `auto` chose
  TrainingMemory memory;                    // per GPU of the first pipeline stage
  double hbm_bytes = 0;                     // per GPU; 0 unknown (not checked)
  MemoryFit memory_fit = MemoryFit::kFits;  // kTight: fits only with fused kernels
  PlacementSpans spans;
  LinkFigures links;
  StepTime step;
  double ideal_step_s = 0;  // packed on a non-blocking fabric (PlacementProgressRate's ideal)
  double peak_flops = 0;    // per GPU, dense BF16
  double mfu = 0;           // model FLOPs per second over the GPUs' peak
  double tokens_per_s = 0;
  double tokens = 0;
  int nodes = 0;  // nodes the job touches
  double failure_free_s = 0;
  double mtbf_s = 0;
  // With a failure rate of 0: mtbf_s and (without a given interval) checkpoint_interval_s are
  // infinite.
  double checkpoint_bytes = 0, checkpoint_write_s = 0, checkpoint_interval_s = 0;
  double ettr = 1;
  double wall_s = 0;  // failure-free time over ETTR
  double gpu_hours = 0;
  double interruptions = 0;  // expected over the wall time
  double it_power_w = 0;     // the job's nodes, its GPUs busy, their other GPUs idle
  double energy_mwh = 0, facility_energy_mwh = 0;
  std::optional<double> cost_usd;  // when every site touched has a tariff
};

// The job (validated, parallel.Gpus() GPUs) on the first GPUs of `allocation`, training `tokens`.
// Refused when it does not fit the GPUs' memory (`recompute: auto` first picks the least
// recomputation that fits).
Result<TrainingPlan> PlanTraining(const Fleet& fleet, const Allocation& allocation,
                                  const TrainingJob& job, double tokens,
                                  const FailureAssumptions& failures);

}  // namespace gpufleet
