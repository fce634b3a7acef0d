// The built-in GPU and node-type catalogue: vendors' datasheets and published measurements; each
// entry in catalog.cc cites its source, and docs/MODELS.md says how the models use them.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpufleet {

// A GPU divides into 1000 milli-GPUs when jobs share it (as Alibaba's gpu_milli).
inline constexpr int kMilliPerGpu = 1000;

struct GpuModel {
  std::string name;        // catalogue key, lower case: "h100"
  std::string display;     // "H100 SXM"
  double tdp_w = 0;        // board power at TDP
  double hbm_gb = 0;       // memory capacity
  double hbm_tb_s = 0;     // memory bandwidth
  double bf16_tflops = 0;  // dense BF16
  double fp8_tflops = 0;   // dense FP8
  double nvlink_gb_s = 0;  // NVLink bandwidth per GPU
  // Streaming multiprocessors: a GEMM's output tiles run in waves of this many (0 unknown).
  int sms = 0;
  // Measured best BF16 matmul rate over the BF16 peak (the "maximum achievable matmul FLOPS"); 0
  // not measured: physics/layer_compute.h then takes kUnmeasuredMatmulFraction.
  double matmul_fraction = 0;
};

// Host CPU and memory one node may have (docs/SPEC.md, "Limits"): in milli-cores and MiB, summed
// over the largest fleet's nodes, far inside 64 bits.
inline constexpr double kMaxNodeCpuCores = 1'000'000;
inline constexpr double kMaxNodeMemoryGb = 1'000'000;

struct NodeType {
  std::string name;          // catalogue key: "dgx-h100"
  std::string gpu;           // GpuModel::name
  int gpus_per_node = 0;     // GPUs in one schedulable node (a server, or a GB200 compute tray)
  int nodes_per_domain = 1;  // nodes that share one NVLink domain (18 trays in a GB200 NVL72 rack)
  double max_power_kw = 0;   // IT power of one node at full load, GPUs and overhead included
  double cpu_cores = 0;      // host CPU cores of one node; 0: not modelled (CPU requests ignored)
  double memory_gb = 0;      // host memory of one node; 0: not modelled
  // Scale-out (InfiniBand/RoCE) bandwidth per GPU, GB/s in each direction; 0: unknown, the network
  // model then takes the built-in node type of the same GPU (physics/network.h).
  double nic_gb_s_per_gpu = 0;
  // Host capacity in the units jobs ask for it: milli-cores and MiB (0 where not modelled).
  std::int64_t cpu_milli() const { return std::llround(cpu_cores * 1000); }
  std::int64_t memory_mib() const { return std::llround(memory_gb * 1024); }
};

const std::vector<GpuModel>& BuiltinGpuModels();
const std::vector<NodeType>& BuiltinNodeTypes();
const GpuModel* FindGpuModel(std::string_view name);
const NodeType* FindBuiltinNodeType(std::string_view name);
// "h100, h200, b200, gb200" for error messages.
std::string ListNames(const std::vector<std::string>& names);

}  // namespace gpufleet
