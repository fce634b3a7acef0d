// The toy replica of the serving tests, with round figures: a model of 1e9 parameters, 10 layers
// of hidden 1,024 in 8 heads of 128 and 8 KV heads (no grouping) - in fp8 the KV cache of one token
// is 2 (keys, values) x 10 x 8 x 128 x 1 byte = 20,480 bytes - on a GPU of 1,000 TFLOP/s fp8, 500
// bf16, `hbm_gb` of HBM at 1 TB/s and 400 GB/s of NVLink (200 per direction).
#pragma once

#include "physics/serving.h"

namespace gpufleet::testing {

inline ServedModel ToyServedModel() {
  ServedModel m;
  m.model.name = "toy";
  m.model.parameters = 1e9;
  m.model.layers = 10;
  m.model.hidden = 1024;
  m.model.heads = 8;
  m.model.kv_heads = 8;
  return m;
}

inline GpuModel ToyServingGpu(double hbm_gb = 80) {
  GpuModel g;
  g.name = "toy-gpu";
  g.hbm_gb = hbm_gb;
  g.hbm_tb_s = 1;
  g.bf16_tflops = 500;
  g.fp8_tflops = 1000;
  g.nvlink_gb_s = 400;
  return g;
}

}  // namespace gpufleet::testing
