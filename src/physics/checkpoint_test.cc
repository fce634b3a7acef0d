#include "physics/checkpoint.h"

#include <gtest/gtest.h>

#include <cmath>

namespace gpufleet {
namespace {

TEST(Checkpoint, YoungAndDalyOnAHandWorkedCase) {
  // M = 3 h = 10,800 s (Llama 3: an interruption every ~3 h at 16k GPUs), delta = 60 s.
  // Young: sqrt(2 x 60 x 10,800) = sqrt(1,296,000) = 1,138.42 s.
  EXPECT_NEAR(YoungInterval(60, 10'800), 1138.4200, 1e-3);
  // Daly: x = 60 / 21,600 = 0.0027778; sqrt(x) = 0.052705;
  // 1,138.42 x (1 + 0.017568 + 0.00030864) - 60 = 1,138.42 x 1.0178768 - 60 = 1,098.77 s.
  EXPECT_NEAR(DalyInterval(60, 10'800), 1098.77, 0.01);
  // delta >= 2M: checkpoint once per mean time between failures.
  EXPECT_EQ(DalyInterval(500, 200), 200);
}

TEST(Checkpoint, ExpectedEttr) {
  // tau = 1,098.77 s, delta = 60 s, R = 600 s, M = 10,800 s:
  // e^(600/10,800) = e^0.055556 = 1.057128; e^(1,158.77/10,800) - 1 = e^0.107293 - 1 = 0.113260;
  // ETTR = 1,098.77 / (10,800 x 1.057128 x 0.113260) = 1,098.77 / 1,293.10 = 0.84972.
  EXPECT_NEAR(ExpectedEttr(1098.77, 60, 600, 10'800), 0.8497, 5e-4);
  // No failures in sight (M -> infinity): only the write time costs: tau / (tau + delta).
  EXPECT_NEAR(ExpectedEttr(1000, 10, 0, 1e12), 1000.0 / 1010.0, 1e-6);
  // The Daly interval is (near) the best one: ETTR falls on either side.
  const double best = ExpectedEttr(DalyInterval(60, 10'800), 60, 600, 10'800);
  EXPECT_GT(best, ExpectedEttr(500, 60, 600, 10'800));
  EXPECT_GT(best, ExpectedEttr(3000, 60, 600, 10'800));
}

}  // namespace
}  // namespace gpufleet
