#include "model/catalog.h"

namespace gpufleet {

const std::vector<GpuModel>& BuiltinGpuModels() {
  static const std::vector<GpuModel> kModels = {
      // NVIDIA H100 datasheet; Llama 3 (arXiv 2407.21783) §3.3.1.
      {"h100", "H100 SXM", 700, 80, 3.35, 989, 1979, 900},
      // NVIDIA H200 launch material: compute as H100, 141 GB HBM3e at 4.8 TB/s.
      {"h200", "H200 SXM", 700, 141, 4.8, 989, 1979, 900},
      // NVIDIA Blackwell material, HGX B200 at 1,000 W.
      {"b200", "B200 (HGX)", 1000, 192, 8.0, 2250, 4500, 1800},
      // B200 in GB200 at 1,200 W: 2.5 PF BF16, 5 PF FP8 dense (NVIDIA GTC'24; another source says
      // 4.5 PF FP8 — REFERENCE.md notes the disagreement; we take NVIDIA's GTC figure).
      {"gb200", "B200 in GB200", 1200, 192, 8.0, 2500, 5000, 1800},
  };
  return kModels;
}

const std::vector<NodeType>& BuiltinNodeTypes() {
  static const std::vector<NodeType> kTypes = {
      // DGX H100 / H200 user guide: 8 GPUs, 10.2 kW max input.
      {"dgx-h100", "h100", 8, 1, 10.2},
      {"dgx-h200", "h200", 8, 1, 10.2},
      // DGX B200 user guide: 8 GPUs, 14.3 kW max.
      {"dgx-b200", "b200", 8, 1, 14.3},
      // GB200 NVL72: 18 compute trays of 4 GPUs in one 72-GPU NVLink domain, about 120 kW per rack
      // (NVIDIA DPS specifications; ServeTheHome GTC'24) -> 120/18 = 6.667 kW per tray.
      {"gb200-nvl72", "gb200", 4, 18, 120.0 / 18.0},
  };
  return kTypes;
}

const GpuModel* FindGpuModel(std::string_view name) {
  for (const auto& m : BuiltinGpuModels()) {
    if (m.name == name) return &m;
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
