#include "model/catalog.h"

#include "util/text.h"

namespace gpufleet {

const std::vector<GpuModel>& BuiltinGpuModels() {
  static const std::vector<GpuModel> kModels = {
      // NVIDIA H100 datasheet; Llama 3 (arXiv 2407.21783) §3.3.1. SMs: NVIDIA Hopper architecture
      // whitepaper (132 on the SXM part). Matmul fraction 0.801 (792.1 of 989 TFLOPS, CUDA 12.1):
      // S. Bekman, ml-engineering, "Maximum Achievable Matmul FLOPS comparison table".
      {"h100", "H100 SXM", 700, 80, 3.35, 989, 1979, 900, 132, 0.801},
      // NVIDIA H200 launch material: compute as H100, 141 GB HBM3e at 4.8 TB/s.
      // The same GH100 die at the same power: H100's SMs and measured matmul fraction.
      {"h200", "H200 SXM", 700, 141, 4.8, 989, 1979, 900, 132, 0.801},
      // NVIDIA Blackwell material, HGX B200 at 1,000 W.
      // 148 SMs (NVIDIA Blackwell architecture technical brief); matmul fraction not measured.
      {"b200", "B200 (HGX)", 1000, 192, 8.0, 2250, 4500, 1800, 148},
      // B200 in GB200 at 1,200 W: 2.5 PF BF16, 5 PF FP8 dense (NVIDIA GTC'24; another source says
      // 4.5 PF FP8 — REFERENCE.md notes the disagreement; we take NVIDIA's GTC figure).
      {"gb200", "B200 in GB200", 1200, 192, 8.0, 2500, 5000, 1800, 148},
      // Earlier generations, for the public traces (Philly, Helios, Acme, Alibaba) and the
      // Megatron calibration. A100 SXM: 400 W, 80 GB (40 GB variant too), 2.04 TB/s, 312 TFLOPS
      // BF16 dense, NVLink 3 600 GB/s (NVIDIA A100 datasheet; figures as in issue 4); 108 SMs
      // (NVIDIA Ampere architecture whitepaper); matmul fraction 0.859 (267.9 of 312 TFLOPS, CUDA
      // 12.1, the same table as the H100's).
      {"a100", "A100 SXM 80GB", 400, 80, 2.04, 312, 0, 600, 108, 0.859},
      // A100 SXM 40 GB: as the 80 GB part with HBM2 at 1.555 TB/s (NVIDIA A100 datasheet).
      {"a100-40gb", "A100 SXM 40GB", 400, 40, 1.555, 312, 0, 600, 108, 0.859},
      // V100 SXM2: 300 W, 32 GB HBM2 at 0.9 TB/s, 125 TFLOPS FP16 tensor (no BF16), NVLink 2
      // 300 GB/s (NVIDIA Tesla V100 datasheet). The BF16 column holds its FP16 tensor peak.
      {"v100", "V100 SXM2 32GB", 300, 32, 0.9, 125, 0, 300, 80},
      // P100 SXM2: 300 W, 16 GB HBM2 at 0.732 TB/s, 21.2 TFLOPS FP16, NVLink 1 160 GB/s
      // (NVIDIA Tesla P100 datasheet). The BF16 column holds its FP16 peak.
      {"p100", "P100 SXM2 16GB", 300, 16, 0.732, 21.2, 0, 160, 56},
      // Inference and older training GPUs of the Alibaba traces. T4: 70 W, 16 GB GDDR6 at
      // 0.32 TB/s, 65 TFLOPS FP16 tensor (NVIDIA T4 datasheet). A10: 150 W, 24 GB GDDR6 at
      // 0.6 TB/s, 125 TFLOPS FP16 tensor (NVIDIA A10 datasheet). V100 SXM2 with 16 GB and 32 GB as
      // the traces label them (figures as v100 above).
      // SMs: V100 80, P100 56, T4 40, A10 72 (the NVIDIA Volta, Pascal and Turing whitepapers and
      // the A10 datasheet).
      {"t4", "T4 16GB", 70, 16, 0.32, 65, 0, 0, 40},
      {"a10", "A10 24GB", 150, 24, 0.6, 125, 0, 0, 72},
      {"v100m16", "V100 SXM2 16GB", 300, 16, 0.9, 125, 0, 300, 80},
      {"v100m32", "V100 SXM2 32GB", 300, 32, 0.9, 125, 0, 300, 80},
  };
  return kModels;
}

const std::vector<NodeType>& BuiltinNodeTypes() {
  static const std::vector<NodeType> kTypes = {
      // Host CPUs and memory from the same guides: DGX H100/H200 2 x 56-core Xeon 8480C, 2 TB;
      // DGX B200 2 x 56-core Xeon 8570, 4 TB; GB200 compute tray 2 Grace x 72 Arm cores with
      // 2 x 480 GB LPDDR5X; DGX A100 2 x 64-core EPYC 7742, 2 TB (1 TB base); DGX-1 2 x 20-core
      // Xeon E5-2698 v4, 512 GB.
      // Scale-out NICs (last column, GB/s per GPU): one NIC per GPU on H100-generation AI clusters,
      // ConnectX-7 at 400 Gb/s = 50 GB/s (REFERENCE.md "NICs"; Llama 3 §3.3.1).
      // DGX H100 / H200 user guide: 8 GPUs, 10.2 kW max input.
      {"dgx-h100", "h100", 8, 1, 10.2, 112, 2048, 50},
      {"dgx-h200", "h200", 8, 1, 10.2, 112, 2048, 50},
      // DGX B200 user guide: 8 GPUs, 14.3 kW max; 8 x 400 Gb/s ConnectX-7 = 50 GB/s per GPU.
      {"dgx-b200", "b200", 8, 1, 14.3, 112, 4096, 50},
      // GB200 NVL72: 18 compute trays of 4 GPUs in one 72-GPU NVLink domain, about 120 kW per rack
      // (NVIDIA DPS specifications; ServeTheHome GTC'24) -> 120/18 = 6.667 kW per tray. Scale-out:
      // ConnectX-8 at 800 Gb/s = 100 GB/s per GPU (REFERENCE.md "NICs").
      {"gb200-nvl72", "gb200", 4, 18, 120.0 / 18.0, 144, 960, 100},
      // DGX A100: 8 GPUs, 6.5 kW max (NVIDIA DGX A100 user guide); 8 x 200 Gb/s HDR InfiniBand
      // ConnectX-6 for compute = 25 GB/s per GPU (NVIDIA DGX A100 datasheet).
      {"dgx-a100", "a100", 8, 1, 6.5, 128, 2048, 25},
      // DGX A100 320GB: the same system with 40 GB GPUs and 1 TB of host memory (same guide).
      {"dgx-a100-320gb", "a100-40gb", 8, 1, 6.5, 128, 1024, 25},
      // DGX-1 with V100: 8 GPUs, 3.5 kW max; with P100: 3.2 kW (NVIDIA DGX-1 data sheets); 4 x
      // 100 Gb/s EDR InfiniBand for 8 GPUs = 6.25 GB/s per GPU (same data sheets).
      {"dgx1-v100", "v100", 8, 1, 3.5, 40, 512, 6.25},
      {"dgx1-p100", "p100", 8, 1, 3.2, 40, 512, 6.25},
  };
  return kTypes;
}

const GpuModel* FindGpuModel(std::string_view name) {
  const std::string lower = Lowercase(name);  // the catalogue's names are lower case
  for (const auto& m : BuiltinGpuModels()) {
    if (m.name == lower) return &m;
  }
  return nullptr;
}

const NodeType* FindBuiltinNodeType(std::string_view name) {
  for (const auto& t : BuiltinNodeTypes()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string ListNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace gpufleet
