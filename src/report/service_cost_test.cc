// A service's cost by hand: rent at each site's price under its pricing, electricity through each
// site's PUE at its tariff, per million output tokens.
#include "report/service_cost.h"

#include <gtest/gtest.h>

#include "test_fleets.h"

namespace gpufleet {
namespace {

// Three sites of one DGX H100: on demand at $4/GPU-hour, reserved at $2, and owned; electricity
// at $80/MWh at the cloud sites and $50 at the campus, the default design PUE of 1.3.
const char* kSites =
    "providers:\n"
    "  - {name: lab}\n"
    "  - {name: cloud, kind: cloud, gpu_hour_usd: 4, reserved: {gpu_hour_usd: 2, term: 365d}}\n"
    "sites:\n"
    "  - {name: od, provider: cloud, power_budget_mw: 1, tariff_usd_per_mwh: 80,\n"
    "     domains: [{node_type: dgx-h100}]}\n"
    "  - {name: rs, provider: cloud, pricing: reserved, power_budget_mw: 1,\n"
    "     tariff_usd_per_mwh: 80, domains: [{node_type: dgx-h100}]}\n"
    "  - {name: campus, provider: lab, power_budget_mw: 1, tariff_usd_per_mwh: 50,\n"
    "     domains: [{node_type: dgx-h100}]}\n";

TEST(ServiceCost, RentAndElectricityBySiteByHand) {
  const Fleet fleet = testing::MustParseFleet(kSites);
  // 10, 20 and 30 GPU-hours; 60 kWh of IT energy, so 10, 20 and 30 kWh at the three sites.
  //   rent: 10 x $4 + 20 x $2 (reserved: its rate for the hours used) + 0 (owned) = $80
  //   electricity: (10 x 1.3 x 80 + 20 x 1.3 x 80 + 30 x 1.3 x 50) / 1000
  //              = 1.04 + 2.08 + 1.95 = $5.07
  const ServiceCost cost = ServiceCostOf(fleet, {10, 20, 30}, 60);
  EXPECT_DOUBLE_EQ(cost.rent_usd, 80);
  EXPECT_NEAR(cost.electricity_usd, 5.07, 1e-12);
  EXPECT_NEAR(cost.total_usd(), 85.07, 1e-12);
  // Per million output tokens: $85.07 over 2 M tokens.
  EXPECT_NEAR(*UsdPerMillionTokens(cost.total_usd(), 2'000'000), 42.535, 1e-12);
  EXPECT_FALSE(UsdPerMillionTokens(cost.total_usd(), 0).has_value());
  // On the owned campus alone: its electricity, no rent.
  const ServiceCost owned = ServiceCostOf(fleet, {0, 0, 30}, 60);
  EXPECT_DOUBLE_EQ(owned.rent_usd, 0);
  EXPECT_NEAR(owned.electricity_usd, 60 * 1.3 * 50 / 1000, 1e-12);
  // Nothing held, nothing billed.
  EXPECT_DOUBLE_EQ(ServiceCostOf(fleet, {0, 0, 0}, 0).total_usd(), 0);
}

// The campus bought at $43,800 a GPU over 365 days: $5 a GPU-hour ($43,800 / 8,760 h). A
// service's 30 GPU-hours there cost $150 of the purchase beside their electricity; with no tariff
// the purchase alone prices it.
TEST(ServiceCost, OwnedCapacityWithAPurchasePriceCostsItsGpuHours) {
  std::string sites = kSites;
  sites.replace(sites.find("{name: lab}"), 11, "{name: lab, capex: {gpu_usd: 43800, life: 365d}}");
  const Fleet fleet = testing::MustParseFleet(sites);
  const ServiceCost owned = ServiceCostOf(fleet, {0, 0, 30}, 60);
  EXPECT_DOUBLE_EQ(owned.rent_usd, 0);
  EXPECT_DOUBLE_EQ(owned.capex_usd, 150);
  EXPECT_NEAR(owned.total_usd(), 150 + 60 * 1.3 * 50 / 1000, 1e-12);
  const Fleet untariffed = testing::MustParseFleet(
      "providers: [{name: lab, capex: {gpu_usd: 43800, life: 365d}}]\n"
      "sites:\n"
      "  - {name: s, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n");
  const ServiceCost bought = ServiceCostOf(untariffed, {2}, 1);
  EXPECT_TRUE(bought.priced);
  EXPECT_DOUBLE_EQ(bought.total_usd(), 10);
}

TEST(ServiceCost, WithoutAPriceOrTariffTheCostIsUnknown) {
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 1));
  const ServiceCost cost = ServiceCostOf(fleet, {10}, 5);
  EXPECT_FALSE(cost.priced);
  EXPECT_DOUBLE_EQ(cost.total_usd(), 0);
  EXPECT_TRUE(ServiceCostOf(testing::MustParseFleet(kSites), {0, 0, 1}, 1).priced);
}

TEST(ServiceCost, TheSitesPriceUnderItsPricing) {
  const Fleet fleet = testing::MustParseFleet(kSites);
  EXPECT_EQ(fleet.GpuHourUsd(0), 4.0);
  EXPECT_EQ(fleet.GpuHourUsd(1), 2.0);
  EXPECT_FALSE(fleet.GpuHourUsd(2).has_value());
}

}  // namespace
}  // namespace gpufleet
