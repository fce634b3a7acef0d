// The node's GPUs as NVIDIA's management library sees them. The library is opened at run time
// (dlopen of libnvidia-ml.so.1, which the driver installs), so the agent builds and runs on
// machines without the driver: there the inventory says why it found nothing and the agent
// relies on what it was told (--gpus, --gpu-model).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace gpufleet::agent {

struct GpuInfo {
  int index = 0;
  std::string name;  // as NVML writes it: "NVIDIA H100 80GB HBM3"
  std::string uuid;
  std::uint64_t memory_total_bytes = 0;
  std::uint64_t memory_used_bytes = 0;
  std::uint32_t power_milliwatts = 0;  // 0 where the device does not say
  std::uint32_t temperature_c = 0;
};

struct GpuInventory {
  bool nvml_loaded = false;
  // Why there is no inventory (the library is absent, or a call failed); empty when there is.
  std::string unavailable_reason;
  std::vector<GpuInfo> gpus;
};

// Reads every GPU's facts through NVML, from `library` (a name dlopen searches, or a path). Never
// fails: an absent library or a failing call is said in `unavailable_reason`.
GpuInventory ReadGpuInventory(const std::string& library = "libnvidia-ml.so.1");

// The fleet spec's model name for an NVML device name: "NVIDIA H100 80GB HBM3" -> "H100",
// "NVIDIA A100-SXM4-80GB" -> "A100", "NVIDIA GB200" -> "GB200".
std::string ModelFromDeviceName(const std::string& name);

// What the agent registers: the inventory's count and model where NVML answered (the declared
// values, when given, must agree), else the declared values, which are then required.
// `declared_gpus` 0 and `declared_model` empty mean not given.
struct NodeGpus {
  int gpus = 0;
  std::string model;
};
Result<NodeGpus> ReconcileGpus(const GpuInventory& inventory, int declared_gpus,
                               const std::string& declared_model);

}  // namespace gpufleet::agent
