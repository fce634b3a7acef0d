// Electrical power of nodes and sites (docs/MODELS.md, "Power"). Calibrated to published
// measurements:
//   - an idle GPU draws 15% of its TDP (A100: ~60 W of 400 W; Acme, NSDI'24);
//   - a busy training GPU draws its TDP: a DGX H100 measured 8.4 kW in training (Latif et al.
//     2025), of which the GPUs are ~2/3 (Acme) = 5.6 kW = 8 x 700 W;
//   - the host (CPUs, NICs, fans, PSU loss) may draw up to the node's rating minus its GPUs at TDP,
//     and draws 61% of that in training (DGX H100: 8.4 - 5.6 = 2.8 kW of 10.2 - 5.6 = 4.6 kW);
//   - an idle host draws half of its training draw (an assumption: REFERENCE.md gives no figure).
// Power is linear in busy GPUs, so a site's IT power is a constant for its healthy nodes plus
// one increment per busy (milli-)GPU of each node type.
#pragma once

#include <vector>

#include "model/catalog.h"
#include "model/fleet.h"

namespace gpufleet {

inline constexpr double kGpuIdleFraction = 0.15;
inline constexpr double kHostTrainingFraction = 0.61;
inline constexpr double kHostIdleOfTraining = 0.5;

struct NodePower {
  double idle_w = 0;          // all GPUs idle
  double per_busy_gpu_w = 0;  // added by each busy GPU (its own rise and its share of the host's)
  double gpu_tdp_w = 0;       // what a power cap scales
  double Watts(double busy_gpus) const { return idle_w + per_busy_gpu_w * busy_gpus; }
  // What one busy GPU adds when GPUs are capped at `cap` x TDP (cap in [kGpuIdleFraction, 1]):
  // the GPU draws the cap instead of its TDP; the host's share does not change.
  double PerBusyGpuW(double cap) const { return per_busy_gpu_w - (1 - cap) * gpu_tdp_w; }
};

// A node type's power model; zeros for GPU models without figures.
NodePower NodePowerOf(const NodeType& type, const GpuModel& gpu);

// The most a node of this type draws (its nameplate): `max_power_kw`, but never less than its GPUs
// at TDP. Machine lists from traces give no host power (max_power_kw 0), and the power model
// then counts the GPUs alone, so this is what `fleet show` and the simulator both use.
double NodeMaxPowerW(const NodeType& type, const GpuModel& gpu);

// Power model of each node type of a fleet (zeros where the GPU model is unknown).
std::vector<NodePower> NodeTypePowers(const Fleet& fleet);
// IT draw of each site with every node up and idle.
std::vector<double> SiteIdlePowerW(const Fleet& fleet);

// GPU power capping (docs/MODELS.md, "Power capping"). A GPU capped at a fraction c of its TDP
// lowers its clocks; its speed is c^kCapSpeedExponent of the uncapped speed. Calibrated to the one
// measurement in REFERENCE.md: LLaMA-65B capped from 250 W to 175 W (c = 0.70) ran 6-7% slower
// (Samsi et al. 2023): 0.70^0.18 = 0.938, i.e. 6.6% more time. Speed is not linear in power
// because dynamic power grows roughly with the cube of the clock and part of the work is bound by
// memory bandwidth, which capping barely touches.
inline constexpr double kCapSpeedExponent = 0.18;
double CappedSpeed(double cap_fraction);

}  // namespace gpufleet
