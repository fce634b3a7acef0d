// Electrical power of nodes and sites (docs/MODELS.md, "Power"). Calibrated to
// ../shared/docs/REFERENCE.md:
//   - an idle GPU draws 15% of its TDP (A100: ~60 W of 400 W; Acme, NSDI'24);
//   - a busy training GPU draws its TDP: a DGX H100 measured 8.4 kW in training (Latif et al.
//     2025), of which the GPUs are ~2/3 (Acme) = 5.6 kW = 8 x 700 W;
//   - the host (CPUs, NICs, fans, PSU loss) may draw up to the node's rating minus its GPUs at TDP,
//     and draws 61% of that in training (DGX H100: 8.4 - 5.6 = 2.8 kW of 10.2 - 5.6 = 4.6 kW);
//   - an idle host draws half of its training draw (an assumption: REFERENCE.md gives no figure).
// Power is linear in busy GPUs, so a site's IT power is a constant for its healthy nodes plus
// one increment per busy (milli-)GPU of each node type.
#pragma once

#include "model/catalog.h"

namespace gpufleet {

inline constexpr double kGpuIdleFraction = 0.15;
inline constexpr double kHostTrainingFraction = 0.61;
inline constexpr double kHostIdleOfTraining = 0.5;

struct NodePower {
  double idle_w = 0;          // all GPUs idle
  double per_busy_gpu_w = 0;  // added by each busy GPU (its own rise and its share of the host's)
  double Watts(double busy_gpus) const { return idle_w + per_busy_gpu_w * busy_gpus; }
};

// A node type's power model; zeros for GPU models without figures.
NodePower NodePowerOf(const NodeType& type, const GpuModel& gpu);

}  // namespace gpufleet
