#include "cli/fleet_summary.h"

#include <gtest/gtest.h>

#include "spec/specs.h"
#include "test_fleets.h"

namespace gpufleet::cli {
namespace {

TEST(FleetSummary, CountsPowerAndModels) {
  Result<Fleet> f = LoadFleet(testing::SourcePath("examples/fleets/multicloud.yaml"));
  ASSERT_TRUE(f.ok()) << f.message();
  const FleetSummary s = Summarize(f.value());
  // campus 4x8x36 racks x 72 = 82,944 GB200; OCI 2x16x32 DGX x 8 = 8,192 H200;
  // Azure 2x16x32 x 8 = 8,192 H100 and 8x32 x 8 = 2,048 B200: 101,376 in all.
  EXPECT_EQ(s.gpus, 101'376);
  ASSERT_EQ(s.sites.size(), 3u);
  EXPECT_EQ(s.sites[0].gpus, 82'944);
  // 1,152 racks x 120 kW = 138.24 MW at TDP.
  EXPECT_NEAR(s.sites[0].it_power_mw, 138.24, 1e-9);
  // 1,024 DGX H200 x 10.2 kW = 10.4448 MW.
  EXPECT_NEAR(s.sites[1].it_power_mw, 10.4448, 1e-9);
  EXPECT_EQ(s.sites[2].by_model.size(), 2u);
  EXPECT_EQ(s.sites[2].pods, 3);
  EXPECT_EQ(s.power_budget_mw, 340);
}

}  // namespace
}  // namespace gpufleet::cli
