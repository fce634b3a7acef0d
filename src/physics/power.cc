#include "physics/power.h"

#include <algorithm>
#include <cmath>

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
  p.gpu_tdp_w = gpu_tdp;
  return p;
}

double NodeMaxPowerW(const NodeType& type, const GpuModel& gpu) {
  return std::max(type.max_power_kw * 1000, type.gpus_per_node * gpu.tdp_w);
}

std::vector<NodePower> NodeTypePowers(const Fleet& fleet) {
  std::vector<NodePower> out;
  for (const NodeType& t : fleet.node_types()) {
    const ModelId m = fleet.FindModel(t.gpu);
    out.push_back(m == kAnyModel ? NodePower{}
                                 : NodePowerOf(t, fleet.gpu_models()[static_cast<size_t>(m)]));
  }
  return out;
}

std::vector<double> SiteIdlePowerW(const Fleet& fleet) {
  const std::vector<NodePower> types = NodeTypePowers(fleet);
  std::vector<double> idle(fleet.sites().size(), 0);
  for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
    idle[static_cast<size_t>(fleet.SiteOf(n))] +=
        types[static_cast<size_t>(fleet.NodeTypeOf(n))].idle_w;
  }
  return idle;
}

double CappedSpeed(double cap_fraction) {
  return cap_fraction >= 1 ? 1.0
                           : std::pow(std::max(cap_fraction, kGpuIdleFraction), kCapSpeedExponent);
}

}  // namespace gpufleet
