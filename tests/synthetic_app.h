// A small application with complete profiles for tests of round-based scheduling: every
// placement of 1-4 nodes × 1-4 GPUs profiled for local batches 1..32, and the spread table
// filled for every GPU count up to 64 at the batch sizes `batch_sizes`, so that any policy on
// a 16 × 4 cluster finds every step time it asks for.
//
// Step time = 2 ms per sample + 10 ms per node of all-reduce; validated batches 16 and 128.
#pragma once

#include <algorithm>
#include <vector>

#include "progress/application.h"

namespace gpufleet::testing {

inline ProfileStepTime SyntheticStepTime(int nodes, int local_bsz) {
  const double sync = 0.01 * nodes;
  return ProfileStepTime{0.002 * local_bsz + sync, sync};
}

inline Application SyntheticApplication(double work_per_epoch = 3000,
                                        std::vector<int> batch_sizes = {16, 64, 128}) {
  Application a;
  a.name = "synthetic";
  a.max_epochs = 3;
  a.min_local_bsz = 1;
  a.max_local_bsz = 32;
  // Large batches need more progress units per epoch: gain < scale early on.
  for (int b : {16, 128}) {
    ValidationCurve v;
    v.batch_size = b;
    for (int e = 1; e <= a.max_epochs; ++e) {
      v.progress.push_back(work_per_epoch * e * (b == 16 ? 1.0 : 1.01));
      v.iteration.push_back(work_per_epoch * e * 16.0 / b);
      v.grad_sqr.push_back(1.0 * e);
      v.grad_var.push_back(20.0 / e);
    }
    a.validation.push_back(v);
  }
  a.init_batch_size = 16;
  a.max_batch_size = 128;
  a.ComputeEpochBoundaries();
  // Every tuple of 1-4 nodes with 1-4 GPUs each, by its canonical code.
  for (int nodes = 1; nodes <= 4; ++nodes) {
    std::vector<int> p(static_cast<size_t>(nodes), 1);
    for (;;) {
      auto& points = a.placements[CanonicalPlacementCode(p)];
      if (points.empty()) {
        for (int m = 1; m <= 32; ++m) points.push_back({m, SyntheticStepTime(nodes, m)});
      }
      size_t k = 0;
      while (k < p.size() && p[k] == 4) p[k++] = 1;
      if (k == p.size()) break;
      ++p[k];
    }
  }
  for (int gpus = 5; gpus <= 64; ++gpus) {
    for (int nodes = std::max(5, (gpus + 3) / 4); nodes <= std::min(gpus, 16); ++nodes) {
      for (int b : batch_sizes) {
        for (auto rule :
             {SingleGpuAccumulation::kAboveInitialBatch, SingleGpuAccumulation::kAlways}) {
          const int m = ConfigureBatch(a, gpus, b, rule).atomic_bsz;
          a.spread[SpreadKey{nodes, gpus, m}] = SyntheticStepTime(nodes, m);
        }
      }
    }
  }
  return a;
}

}  // namespace gpufleet::testing
