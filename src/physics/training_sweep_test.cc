#include "physics/training_sweep.h"

#include <gtest/gtest.h>

#include "model/ideal_fleet.h"
#include "physics/model_preset.h"
#include "sched/capacity_index.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

using testing::PlaceOnIdealFleet;
using Placed = testing::PlacedFleet;

// Llama 3 70B on 256 H100s, every configuration: the counts add up, every plan kept is one a
// framework accepts and that fits, they come fastest first, each is priced exactly as the step
// model prices it on its own spans, and the preset's configuration is not faster than the best.
TEST(TrainingSweep, EveryPlanKeptIsValidFitsAndIsPricedAsAlone) {
  const Placed p = PlaceOnIdealFleet("h100", 256);
  const TrainingJob base = FindModelPreset("llama3-70b")->job;
  const SweepSpace space = DefaultSweepSpace(base, 256, 8);
  EXPECT_EQ(space.tp, (std::vector<int>{1, 2, 4, 8}));
  EXPECT_EQ(space.cp, (std::vector<int>{1, 2, 4, 8, 16, 32}));
  // PP: the divisors of 256 up to the 80 layers.
  EXPECT_EQ(space.pp, (std::vector<int>{1, 2, 4, 8, 16, 32, 64}));
  const SweepResult r = SweepTrainingPlans(p.fleet, p.allocation, base, 256, space, 50);
  EXPECT_EQ(r.considered, 4 * 6 * 7 * (4 * 4 * 4 * 3));
  EXPECT_EQ(r.considered, r.refused_by_framework + r.refused_by_memory + r.feasible);
  EXPECT_GT(r.feasible, 1000);
  ASSERT_EQ(r.best.size(), 50u);
  const JobHardware hw = HardwareOf(p.fleet, p.allocation);
  for (size_t i = 0; i < r.best.size(); ++i) {
    const SweepPlan& plan = r.best[i];
    ASSERT_TRUE(ValidateTrainingJob(plan.job).ok());
    EXPECT_EQ(plan.job.parallel.Gpus(), 256);
    EXPECT_NE(FitOf(MemoryPerGpu(plan.job), hw.hbm_bytes), MemoryFit::kDoesNotFit);
    if (i > 0) {
      EXPECT_LE(r.best[i - 1].step.step_s, plan.step.step_s);
    }
    const PlacementSpans spans = SpansOf(p.fleet, p.allocation, plan.job.parallel).value();
    EXPECT_DOUBLE_EQ(plan.step.step_s, EstimateStepTime(plan.job, hw.gpu, hw.links, spans).step_s);
  }
  const TrainingJob preset = JobOnGpus(base, 256).value();
  const PlacementSpans spans = SpansOf(p.fleet, p.allocation, preset.parallel).value();
  EXPECT_LE(r.best.front().step.step_s, EstimateStepTime(preset, hw.gpu, hw.links, spans).step_s);
  // The same sweep twice gives the same plans in the same order.
  const SweepResult again = SweepTrainingPlans(p.fleet, p.allocation, base, 256, space, 50);
  for (size_t i = 0; i < r.best.size(); ++i) {
    EXPECT_EQ(again.best[i].job.parallel.tp, r.best[i].job.parallel.tp);
    EXPECT_EQ(again.best[i].job.parallel.pp, r.best[i].job.parallel.pp);
    EXPECT_EQ(again.best[i].job.zero, r.best[i].job.zero);
    EXPECT_EQ(again.best[i].step.step_s, r.best[i].step.step_s);
  }
}

// A fixed dimension holds; a space where nothing fits keeps nothing.
TEST(TrainingSweep, FixedDimensionsAndNothingThatFits) {
  const Placed p = PlaceOnIdealFleet("h100", 64);
  const TrainingJob base = FindModelPreset("llama3-405b")->job;
  SweepSpace space = DefaultSweepSpace(base, 64, 8);
  space.tp = {8};
  const SweepResult r = SweepTrainingPlans(p.fleet, p.allocation, base, 64, space, 10);
  for (const SweepPlan& plan : r.best) EXPECT_EQ(plan.job.parallel.tp, 8);
  // 405B on 8 GPUs: 810 GB of bf16 weights alone.
  const Placed eight = PlaceOnIdealFleet("h100", 8);
  const SweepResult none =
      SweepTrainingPlans(eight.fleet, eight.allocation, base, 8, DefaultSweepSpace(base, 8, 8), 10);
  EXPECT_TRUE(none.best.empty());
  EXPECT_EQ(none.feasible, 0);
  EXPECT_GT(none.refused_by_memory, 0);
}

}  // namespace
}  // namespace gpufleet
