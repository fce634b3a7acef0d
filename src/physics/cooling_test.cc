#include "physics/cooling.h"

#include <gtest/gtest.h>

namespace gpufleet {
namespace {

TEST(Cooling, NamedClimateFollowsItsNormals) {
  const Climate c = Climate::Named("abilene-tx").value();
  // Warmest day 200 at 17:00: the seasonal term is 11.0 cos(2 pi (17/24) / 365) = 10.99918 (the
  // hour is 0.708 of a day past the warmest day's start), the daily term 6.5: 18.0 + 10.99918 +
  // 6.5 = 35.49918 C. Coldest around day 17 at 05:00: 18.0 - 11.0 - 6.5 = 0.5 C to 0.01.
  EXPECT_NEAR(c.TemperatureC(200 * kDay + 17 * kHour), 35.49918, 1e-5);
  EXPECT_NEAR(c.TemperatureC(17 * kDay + 5 * kHour), 0.5, 0.01);
  // The year repeats.
  EXPECT_EQ(c.TemperatureC(0), c.TemperatureC(365 * kDay));
  EXPECT_FALSE(Climate::Named("atlantis").ok());
}

// The further Stargate campuses' climates: Las Cruces' desert swings 17 C a day around a mean of
// 17.0 C; Youngstown's winter (mean 9.6 - 12.8 = -3.2 C in mid-January) is colder than any day in
// Abilene. Every named climate calibrates a liquid-cooled plant to its design PUE.
TEST(Cooling, TheStargateCampusesClimates) {
  const Climate nm = Climate::Named("las-cruces-nm").value();
  // Day 192 (its warmest): 17:00 is 17.0 + 10.6 cos(2 pi (17/24) / 365) + 8.5, 05:00 17 h before
  // it is 17.0 + 10.6 cos(...) - 8.5: 17.0 C apart to within the seasonal term's change.
  EXPECT_NEAR(nm.TemperatureC(192 * kDay + 17 * kHour) - nm.TemperatureC(192 * kDay + 5 * kHour),
              17.0, 0.01);
  const Climate oh = Climate::Named("youngstown-oh").value();
  EXPECT_NEAR(oh.TemperatureC(17 * kDay + 11 * kHour), 9.6 - 12.8, 0.05);
  EXPECT_LT(oh.TemperatureC(17 * kDay + 5 * kHour),
            Climate::Named("abilene-tx").value().TemperatureC(17 * kDay + 5 * kHour));
  Cooling spec;
  spec.kind = Cooling::Kind::kLiquid;
  spec.design_pue = 1.1;
  spec.free_cooling_below_c = 20;
  for (const Climate* c : {&nm, &oh}) EXPECT_TRUE(CoolingPlant::Calibrate(spec, *c).ok());
}

TEST(Cooling, CalibratedPlantHasTheDesignPueOnAverageAndRisesWithHeat) {
  Cooling spec;
  spec.kind = Cooling::Kind::kLiquid;
  spec.design_pue = 1.1;
  spec.free_cooling_below_c = 20;
  const Climate c = Climate::Named("abilene-tx").value();
  const CoolingPlant p = CoolingPlant::Calibrate(spec, c).value();
  double mean = 0;
  for (int h = 0; h < 8760; ++h) mean += p.Pue(c.TemperatureC(h * kHour));
  EXPECT_NEAR(mean / 8760, 1.1, 1e-9);
  // Free cooling below 20 C: PUE is 1 + 0.03 + s x 0.02 there; above, it grows 0.01 s per degree.
  EXPECT_LT(p.Pue(10), p.Pue(30));
  EXPECT_EQ(p.Pue(5), p.Pue(15));
  spec.design_pue = 1.02;  // below 1 + losses: no room for cooling
  EXPECT_FALSE(CoolingPlant::Calibrate(spec, c).ok());
}

}  // namespace
}  // namespace gpufleet
