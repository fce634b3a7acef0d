// Failure processes of an AI cluster by component (docs/MODELS.md, "Failures"), calibrated to the
// Llama 3 405B pre-training run (Llama 3 paper, Table 5, §3.3.4):
// 16,384 H100 on 2,048 nodes over 54 days saw 419 unexpected interruptions and 47 planned ones.
// Rates are per node and day; each failure takes down the node it hits, or for network
// switch/cable failures the whole leaf (rack) beneath the switch; software failures take down no
// hardware but interrupt the jobs on the node.
#pragma once

#include <array>
#include <cstdint>

#include "model/failure.h"
#include "util/time.h"

namespace gpufleet {

struct Llama3Calibration {
  static constexpr double kNodes = 2048, kDays = 54;
  // Unexpected interruptions by our categories, from REFERENCE.md's count table:
  // gpu 148 + 19 + 17 + 6 + 6; hbm 72; host 32 + 3 + 3 + 2 + 2 + 2 + 2; nic 7; network 35;
  // software 54 + 2 + 7 (software bug, dependency, NCCL watchdog) - 419 in all.
  static constexpr std::array<int, kRandomFailureCategories> kCounts = {196, 72, 46, 7, 35, 63};
  static constexpr int kUnexpected = 419, kPlanned = 47;
};

// GPU and HBM failures come with GPUs, the others with hosts: the simulator draws the first per
// GPU, at the calibration's rate per 8 GPUs (Llama 3's servers held 8), and the others per node.
// On 8-GPU servers both are the same; a 4-GPU GB200 tray then sees half the GPU failures of a
// server and all of its host, NIC, network and software ones.
inline constexpr double kCalibrationGpusPerNode = 8;
inline bool ComesWithGpus(FailureCategory c) {
  return c == FailureCategory::kGpu || c == FailureCategory::kHbm;
}

// Per node-day (per 8 GPUs and day for ComesWithGpus), by category (the first
// kRandomFailureCategories), at Llama 3's rates.
std::array<double, kRandomFailureCategories> Llama3RatesPerNodeDay();
// All categories together, per node-day: 419 / (2,048 x 54) = 0.003789.
double Llama3NodeFailureRatePerDay();

// Repair time of the hardware a failure takes down, by category: an assumption (REFERENCE.md
// gives none): a swapped GPU or HBM stack or repaired host takes a day or half, a NIC, switch or
// cable hours; software failures take nothing down.
SimTime DefaultRepairTime(FailureCategory c);

// From an interruption to training again: detection and diagnosis under 10 minutes, catch-up
// under 15 (ByteDance MegaScale, NSDI'24); Llama 3 restarted most jobs automatically. 10 minutes.
inline constexpr SimTime kDefaultRestartOverhead = 10 * kMinute;

}  // namespace gpufleet
