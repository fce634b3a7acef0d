#include "physics/power.h"

#include <gtest/gtest.h>

namespace gpufleet {
namespace {

TEST(Power, DgxH100MatchesItsMeasuredTrainingDraw) {
  const NodeType dgx = *FindBuiltinNodeType("dgx-h100");
  const NodePower p = NodePowerOf(dgx, *FindGpuModel("h100"));
  // Busy: 8 x 700 W + 0.61 x (10,200 - 5,600) W = 5,600 + 2,806 = 8,406 W, the measured ~8.4 kW.
  EXPECT_NEAR(p.Watts(8), 8406, 1e-6);
  // Idle: 8 x 105 W + 0.5 x 2,806 W = 840 + 1,403 = 2,243 W.
  EXPECT_NEAR(p.Watts(0), 2243, 1e-6);
  // Linear in between: each busy GPU adds (8,406 - 2,243) / 8 = 770.375 W.
  EXPECT_NEAR(p.per_busy_gpu_w, 770.375, 1e-9);
}

TEST(Power, Gb200TrayStaysUnderItsRating) {
  // Tray: 4 x 1,200 W GPUs, rating 120 kW / 18 = 6,666.7 W, host up to 1,866.7 W.
  // Busy: 4,800 + 0.61 x 1,866.7 = 5,938.7 W per tray = 106.9 kW per 72-GPU rack (rating 120 kW).
  const NodePower p = NodePowerOf(*FindBuiltinNodeType("gb200-nvl72"), *FindGpuModel("gb200"));
  EXPECT_NEAR(p.Watts(4) * 18 / 1000, 106.9, 0.05);
  EXPECT_LT(p.Watts(4), 120000.0 / 18);
}

TEST(Power, CappedGpusDrawTheCapAndRunSlower) {
  const NodePower p = NodePowerOf(*FindBuiltinNodeType("dgx-h100"), *FindGpuModel("h100"));
  // Capped at 0.7: a busy GPU draws 490 W instead of 700 W, 210 W less: 770.375 - 210 = 560.375.
  EXPECT_NEAR(p.PerBusyGpuW(0.7), 560.375, 1e-9);
  EXPECT_NEAR(p.PerBusyGpuW(1.0), p.per_busy_gpu_w, 1e-12);
  // Samsi et al. 2023: 250 -> 175 W (0.70) cost 6-7% more time: 1 / 0.70^0.18 = 1.0663.
  EXPECT_NEAR(1 / CappedSpeed(0.70), 1.0663, 1e-4);
  EXPECT_EQ(CappedSpeed(1.0), 1.0);
  EXPECT_LT(CappedSpeed(0.5), CappedSpeed(0.6));
}

}  // namespace
}  // namespace gpufleet
