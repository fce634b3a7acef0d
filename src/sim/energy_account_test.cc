#include "sim/energy_account.h"

#include <gtest/gtest.h>

#include "physics/power.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

// A site of design PUE 1.25, a budget of 1 kW and a flat grid of 400 gCO2/kWh.
Site TestSite() {
  Site site;
  site.cooling.design_pue = 1.25;
  site.power_budget_mw = 0.001;
  site.carbon_g_per_kwh = 400;
  return site;
}

TEST(SiteEnergy, AnIntervalSplitAtHourBoundariesIntegratesTheHourlyPue) {
  // PUE 1.25, 1.5 and 1.125 in hours 0, 1 and 2 (values a double holds exactly, so each product
  // below is exact). 1,000 W from 0:30 to 2:15:
  //   hour 0, 30 min:  1,000 x 1.25  x 1,800,000 ms = 2,250,000,000 W ms
  //   hour 1, 60 min:  1,000 x 1.5   x 3,600,000 ms = 5,400,000,000 W ms
  //   hour 2, 15 min:  1,000 x 1.125 x   900,000 ms = 1,012,500,000 W ms
  // in all 8,662,500,000 W ms of facility energy for 1,000 x 6,300,000 = 6,300,000,000 of IT.
  const Site site = TestSite();
  SiteEnergy e(site, {1.25, 1.5, 1.125});
  e.AddPower(30 * kMinute, 2 * kHour + 15 * kMinute, 1000);
  EXPECT_EQ(e.total().it_energy_wms, 6'300'000'000.0L);
  EXPECT_EQ(e.total().facility_energy_wms, 8'662'500'000.0L);
  // The flat grid's carbon, hour by hour at 400 g/kWh (3,600,000,000 W ms): 250 + 600 + 112.5 g.
  EXPECT_EQ(e.total().carbon_g, 962.5L);
  // The year repeats: hour 3 is hour 0 again (1,000 x 1.25 x 3,600,000).
  SiteEnergy again(site, {1.25, 1.5, 1.125});
  again.AddPower(3 * kHour, 4 * kHour, 1000);
  EXPECT_EQ(again.total().facility_energy_wms, 4'500'000'000.0L);
}

TEST(SiteEnergy, HourlyCarbonWithTheDesignPue) {
  // The grid at 100 g in hour 0 and 500 g in hour 1; the design PUE 1.25 throughout. 1,000 W for
  // two hours: 1,000 x 1.25 x 3,600,000 = 4,500,000,000 W ms = 1.25 kWh an hour, so
  // 1.25 x 100 + 1.25 x 500 = 750 g.
  Site site = TestSite();
  site.hourly_carbon_g_per_kwh = {100, 500};
  SiteEnergy e(site, {});
  e.AddPower(0, 2 * kHour, 1000);
  EXPECT_EQ(e.total().facility_energy_wms, 9'000'000'000.0L);
  EXPECT_EQ(e.total().carbon_g, 750.0L);
}

TEST(SiteEnergy, WithoutHourlySeriesOneProductPerInterval) {
  // 800 W for 90 min at PUE 1.25: 800 x 1.25 x 5,400,000 = 5,400,000,000 W ms = 1.5 kWh, at
  // 400 g/kWh 600 g.
  const Site site = TestSite();
  SiteEnergy e(site, {});
  e.AddPower(0, 90 * kMinute, 800);
  EXPECT_EQ(e.total().facility_energy_wms, 5'400'000'000.0L);
  EXPECT_EQ(e.total().carbon_g, 600.0L);
  EXPECT_EQ(e.total().over_budget_ms, 0);
}

TEST(SiteEnergy, BudgetPeakAndCapping) {
  // The budget is 1,000 W with a margin of 1e-9: 1,000 W is within it, 1,001 W over it.
  const Site site = TestSite();
  SiteEnergy e(site, {});
  e.AddPower(0, 10, 1000);
  e.AddPower(10, 30, 1001);
  EXPECT_EQ(e.total().over_budget_ms, 20);
  e.NotePower(700);
  e.NotePower(1001);
  e.NotePower(900);
  EXPECT_EQ(e.total().peak_w, 1001);
  // 4 busy GPUs capped at 60% of TDP for 50 ms lose 4 x (1 - their speed there) x 50 GPU-ms.
  e.AddCapped(50, 0.6, 4);
  EXPECT_EQ(e.total().capped_ms, 50);
  EXPECT_EQ(e.total().capped_lost_gpu_ms, 4.0L * (1 - CappedSpeed(0.6)) * 50);
}

TEST(EnergyAccount, ResourceIntegralsFollowHealthyNodes) {
  // Two DGX nodes (16 GPUs), 8 GPUs held: for 10 ms 8,000 x 10 held and 16,000 x 10 available;
  // then a node fails, and 10 ms more add 8,000 x 10 of each.
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2));
  const SitePowerLedger power(fleet);
  EnergyAccount account(fleet, /*physics=*/false);
  const Held held{8000, 0, 0};
  account.Add(0, 10, held, power);
  account.NodeDown(1);
  account.Add(10, 20, held, power);
  SimResult r;
  account.WriteTo(r);
  EXPECT_EQ(r.allocated_gpu_milli_ms, 160'000);
  EXPECT_EQ(r.available_gpu_milli_ms, 240'000);
  // Without physics the sites are listed but hold nothing.
  ASSERT_EQ(r.sites.size(), 1u);
  EXPECT_EQ(r.sites[0].it_energy_wms, 0);
  account.NodeUp(1);
  account.Add(20, 30, held, power);
  account.WriteTo(r);
  EXPECT_EQ(r.available_gpu_milli_ms, 400'000);
}

TEST(EnergyAccount, SitesDrawTheLedgersPower) {
  // With physics, an idle fleet draws the ledger's idle power throughout.
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2));
  const SitePowerLedger power(fleet);
  EnergyAccount account(fleet, /*physics=*/true);
  account.Add(0, kHour, Held{}, power);
  account.NotePeaks(power);
  SimResult r;
  account.WriteTo(r);
  EXPECT_EQ(r.sites[0].it_energy_wms, static_cast<long double>(power.PowerW(0)) * kHour);
  EXPECT_EQ(r.sites[0].peak_w, power.PowerW(0));
  EXPECT_GT(r.sites[0].facility_energy_wms, r.sites[0].it_energy_wms);
}

}  // namespace
}  // namespace gpufleet
