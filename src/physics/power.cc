#include "physics/power.h"

#include <algorithm>

namespace gpufleet {

NodePower NodePowerOf(const NodeType& type, const GpuModel& gpu) {
  const double gpus = type.gpus_per_node;
  const double gpu_tdp = gpu.tdp_w;
  const double rating = type.max_power_kw * 1000;
  const double host_max = std::max(0.0, rating - gpus * gpu_tdp);
  const double host_training = kHostTrainingFraction * host_max;
  const double host_idle = kHostIdleOfTraining * host_training;
  NodePower p;
  p.idle_w = gpus * kGpuIdleFraction * gpu_tdp + host_idle;
  p.per_busy_gpu_w =
      gpus > 0 ? (1 - kGpuIdleFraction) * gpu_tdp + (host_training - host_idle) / gpus : 0;
  return p;
}

}  // namespace gpufleet
