#include "sim/site_power.h"

#include <gtest/gtest.h>

#include "sched/capacity_index.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

// Two DGX H100 in one site with the given budget (W) and cap floor. Per node
// (src/physics/power_test.cc): idle 2,243 W; each busy GPU adds 770.375 W uncapped and
// 770.375 - (1 - c) x 700 W capped at c.
Fleet TwoDgx(double budget_w, double floor) {
  return testing::MustParseFleet(
      testing::DgxFleetYaml(1, 1, 2,
                            "    power_budget_mw: " + std::to_string(budget_w / 1e6) +
                                "\n    gpu_power_cap_floor: " + std::to_string(floor) + "\n"));
}

AdmissionGuard::Load Full(const Allocation& a) { return {&a, 1.0}; }

TEST(SitePower, CapIsTheHighestThatFitsTheBudget) {
  // Budget 15,000 W, floor 0.7. Idle 2 x 2,243 = 4,486 W. 16 busy GPUs uncapped: 4,486 + 16 x
  // 770.375 = 16,812 W, 1,812 W too much; 16 GPUs x 700 W of TDP give it up at a cap of
  // 1 - 1,812 / 11,200 = 0.8382, rounded down to 0.83: 4,486 + 16 x (770.375 - 0.17 x 700) =
  // 4,486 + 16 x 651.375 = 14,908 W.
  const Fleet fleet = TwoDgx(15000, 0.7);
  SitePowerLedger ledger(fleet);
  CapacityIndex index(fleet);
  const Allocation a = *index.Place(16, 0, Level::kFleet);
  std::vector<TopoId> refusing;
  ledger.Refusing(Full(a), {}, refusing);
  EXPECT_TRUE(refusing.empty());  // at the floor: 4,486 + 16 x 560.375 = 13,452 W <= 15,000
  ledger.Started(Full(a));
  EXPECT_TRUE(ledger.UpdateCaps());
  EXPECT_DOUBLE_EQ(ledger.Cap(0), 0.83);
  EXPECT_NEAR(ledger.PowerW(0), 14908, 1e-6);
  EXPECT_FALSE(ledger.UpdateCaps());  // nothing changed
  ledger.Stopped(Full(a));
  EXPECT_TRUE(ledger.UpdateCaps());
  EXPECT_EQ(ledger.Cap(0), 1.0);
  EXPECT_NEAR(ledger.PowerW(0), 4486, 1e-6);
}

TEST(SitePower, AdmissionCountsJobsAtTheFloorAndFailedNodesIdle) {
  // Budget 12,000 W, no capping (floor 1): room for (12,000 - 4,486) / 770.375 = 9.75 busy GPUs.
  const Fleet fleet = TwoDgx(12000, 1.0);
  SitePowerLedger ledger(fleet);
  CapacityIndex index(fleet);
  const Allocation eight = *index.Place(8, 0, Level::kFleet);
  std::vector<TopoId> refusing;
  ledger.Refusing(Full(eight), {}, refusing);
  EXPECT_TRUE(refusing.empty());
  ledger.Started(Full(eight));
  const Allocation two = *index.Place(2, 0, Level::kFleet);
  ledger.Refusing(Full(two), {}, refusing);
  ASSERT_EQ(refusing.size(), 1u);  // 10 GPUs: 4,486 + 7,703.75 = 12,189.75 W > 12,000
  EXPECT_EQ(refusing[0], fleet.sites()[0].topo);
  // With the eight leaving (a preemption), the two fit.
  refusing.clear();
  ledger.Refusing(Full(two), {Full(eight)}, refusing);
  EXPECT_TRUE(refusing.empty());
  // A failed node draws nothing now, but admission keeps its idle draw: it may come back.
  ledger.NodeDown(1);
  EXPECT_NEAR(ledger.PowerW(0), 2243 + 8 * 770.375, 1e-6);
  ledger.Refusing(Full(two), {}, refusing);
  EXPECT_EQ(refusing.size(), 1u);
  // Submission bound: with nothing running, 9 GPUs fit (9 x 770.375 = 6,933 W of 7,514 W).
  GangRequest r;
  r.constraint = Level::kSite;
  EXPECT_EQ(ledger.MostGpusEver(r), 9);
}

TEST(SitePower, GpusDrawByUtilization) {
  // An 8-GPU job at utilization 0.5 draws half of each busy GPU's rise: 2 x 2,243 + 8 x 0.5 x
  // 770.375 = 4,486 + 3,081.5 = 7,567.5 W.
  const Fleet fleet = TwoDgx(15000, 1.0);
  SitePowerLedger ledger(fleet);
  CapacityIndex index(fleet);
  const Allocation a = *index.Place(8, 0, Level::kFleet);
  ledger.Started({&a, 0.5});
  ledger.UpdateCaps();
  EXPECT_NEAR(ledger.PowerW(0), 7567.5, 1e-6);
}

}  // namespace
}  // namespace gpufleet
