// The batch configuration (§3.3 of pollux-baselines.md), placement codes and the interpolations
// of the progress model, on small hand-made applications (no data files needed).
#include "progress/application.h"

#include <gtest/gtest.h>

namespace gpufleet {
namespace {

// An application with only the constants §3.3 uses (§3.1 of the study).
Application Constants(const char* name, int init, int max, int max_local) {
  Application a;
  a.name = name;
  a.init_batch_size = init;
  a.max_batch_size = max;
  a.max_local_bsz = max_local;
  return a;
}

struct BatchExample {
  const char* app;
  int init, max, max_local;
  int replicas, batch;
  int atomic, accum, effective;
};

// The examples listed in §3.3. Derivation of the first: L = ceil(384/6) = 64,
// a = ceil(64/12) − 1 = 5, m = ceil(64/6) = 11, capped at floor(384/(6·6)) = 10, B_eff = 6·10·6.
TEST(BatchConfig, StudyExamples) {
  const BatchExample examples[] = {
      {"bert", 12, 384, 12, 6, 384, 10, 5, 360},
      {"bert", 12, 384, 12, 12, 384, 10, 2, 360},
      {"cifar10", 128, 4096, 1024, 6, 2048, 342, 0, 2052},
      {"cifar10", 128, 4096, 1024, 12, 4096, 341, 0, 4092},
      {"deepspeech2", 20, 640, 80, 6, 320, 54, 0, 324},
      {"deepspeech2", 20, 640, 80, 12, 640, 53, 0, 636},
      {"imagenet", 200, 12800, 200, 24, 3200, 134, 0, 3216},
      {"imagenet", 200, 12800, 200, 48, 6400, 134, 0, 6432},
      {"ncf", 256, 32768, 32768, 1, 32768, 16384, 1, 32768},
      {"yolov3", 8, 512, 8, 4, 64, 8, 1, 64},
  };
  for (const BatchExample& e : examples) {
    const Application app = Constants(e.app, e.init, e.max, e.max_local);
    const BatchConfig c = ConfigureBatch(app, e.replicas, e.batch);
    EXPECT_EQ(c.atomic_bsz, e.atomic) << e.app << " " << e.replicas << "x" << e.batch;
    EXPECT_EQ(c.accum_steps, e.accum) << e.app << " " << e.replicas << "x" << e.batch;
    EXPECT_EQ(c.effective_batch(), e.effective) << e.app << " " << e.replicas << "x" << e.batch;
  }
}

// On one GPU a job accumulates only when B exceeds the initial batch; Optimus's predictor always.
TEST(BatchConfig, SingleGpuAccumulationRules) {
  const Application cifar = Constants("cifar10", 128, 4096, 1024);
  EXPECT_EQ(ConfigureBatch(cifar, 1, 128).accum_steps, 0);
  EXPECT_EQ(ConfigureBatch(cifar, 1, 128, SingleGpuAccumulation::kAlways).accum_steps, 1);
  // 128 on one GPU with one accumulation step: two atomic batches of 64.
  EXPECT_EQ(ConfigureBatch(cifar, 1, 128, SingleGpuAccumulation::kAlways).atomic_bsz, 64);
  EXPECT_EQ(ConfigureBatch(cifar, 1, 256).accum_steps, 1);
}

TEST(GpusPerNode, CanonicalCodeIsTheSmallestRotation) {
  EXPECT_EQ(CanonicalPlacementCode({4, 2, 1}), 142);  // rotations 421, 214, 142
  EXPECT_EQ(CanonicalPlacementCode({4, 1, 2}), 124);  // not 124 by sorting: 412, 124, 241
  EXPECT_EQ(CanonicalPlacementCode({3, 4, 4, 1}), 1344);
  EXPECT_EQ(CanonicalPlacementCode({4, 0, 2}), 24);
  EXPECT_EQ(CanonicalPlacementCode({4}), 4);
}

TEST(GpusPerNode, Packed) {
  EXPECT_EQ(PackedPlacement(6, 4), (GpusPerNode{4, 2}));
  EXPECT_EQ(PackedPlacement(8, 4), (GpusPerNode{4, 4}));
  EXPECT_EQ(PackedPlacement(1, 4), (GpusPerNode{1}));
}

Application TwoPointProfile() {
  Application a = Constants("toy", 10, 40, 8);
  a.placements[2] = {{2, ProfileStepTime{1.0, 0.25}},
                     {4, ProfileStepTime{2.0, 0.5}},
                     {8, ProfileStepTime{3.0, 0.5}}};
  a.spread[SpreadKey{5, 5, 4}] = ProfileStepTime{7.0, 1.0};
  return a;
}

TEST(ProfileStepTimes, InterpolatesInLocalBatchAndUsesTheSpreadTableBeyondProfiles) {
  const Application a = TwoPointProfile();
  // Between (4, 2.0) and (8, 3.0): slope 0.25 per sample, so 6 → 2.5.
  Result<ProfileStepTime> mid = LookupStepTime(a, {2}, 6);
  ASSERT_TRUE(mid.ok()) << mid.message();
  EXPECT_DOUBLE_EQ(mid.value().step, 2.5);
  EXPECT_DOUBLE_EQ(mid.value().sync, 0.5);
  Result<ProfileStepTime> knot = LookupStepTime(a, {2}, 4);
  ASSERT_TRUE(knot.ok());
  EXPECT_DOUBLE_EQ(knot.value().step, 2.0);
  Result<ProfileStepTime> spread = LookupStepTime(a, {1, 1, 1, 1, 1}, 4);
  ASSERT_TRUE(spread.ok()) << spread.message();
  EXPECT_EQ(spread.value().step, 7.0);
  // T_iter with 2 accumulation steps: 7 + 2·(7 − 1).
  EXPECT_EQ(IterationSeconds(spread.value(), 2), 19.0);
}

TEST(ProfileStepTimes, OutOfRangeAndMissingRowsAreErrors) {
  const Application a = TwoPointProfile();
  Result<ProfileStepTime> high = LookupStepTime(a, {2}, 9);
  ASSERT_FALSE(high.ok());
  EXPECT_EQ(high.message(), "toy: placement 2 is profiled for local batch 2 to 8, not 9");
  Result<ProfileStepTime> none = LookupStepTime(a, {1, 1, 1, 1, 1, 1}, 4);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("num_nodes=6, num_replicas=6, local_bsz=4"), std::string::npos)
      << none.message();
}

Application TwoBatchSizes() {
  Application a = Constants("toy", 10, 30, 8);
  a.max_epochs = 2;
  a.validation.push_back({10, {100, 200}, {10, 20}, {1.0, 1.0}, {3.0, 1.0}});
  a.validation.push_back({30, {90, 210}, {3, 7}, {2.0, 1.0}, {6.0, 1.0}});
  a.ComputeEpochBoundaries();
  return a;
}

TEST(Progress, EpochBoundariesAreTheMinimumOverBatchSizes) {
  const Application a = TwoBatchSizes();
  EXPECT_EQ(a.epoch_progress, (std::vector<double>{0, 90, 200}));
  EXPECT_EQ(a.total_work(), 200);
}

TEST(Progress, GainInterpolatesGradientStatisticsInBatchSize) {
  const Application a = TwoBatchSizes();
  // B = 20, epoch 0: halfway, sqr = 1.5, var = 4.5, s = 2: (4.5+1.5)/(4.5/2+1.5) = 6/3.75 = 1.6.
  Result<double> g = StatisticalGain(a, 20, 0);
  ASSERT_TRUE(g.ok()) << g.message();
  EXPECT_DOUBLE_EQ(g.value(), 1.6);
  // At the initial batch the gain is exactly 1.
  EXPECT_EQ(StatisticalGain(a, 10, 1).value(), 1.0);
  EXPECT_FALSE(StatisticalGain(a, 40, 0).ok());
  EXPECT_FALSE(StatisticalGain(a, 20, 2).ok());
  // Iterations after epoch 1 at B = 20: halfway between 20 and 7.
  EXPECT_DOUBLE_EQ(IterationsAfter(a, 20, 1).value(), 13.5);
}

}  // namespace
}  // namespace gpufleet
