#include "workload/serving_demand.h"

#include <gtest/gtest.h>

#include <cmath>

namespace gpufleet {
namespace {

TEST(RequestRate, ACosineFromTroughToPeak) {
  const RequestRate r{100, 20, 86400, 14 * 3600};
  EXPECT_DOUBLE_EQ(r.At(14 * 3600), 100);
  EXPECT_NEAR(r.At(2 * 3600), 20, 1e-9);            // half a period from the peak
  EXPECT_NEAR(r.At(8 * 3600), 60, 1e-9);            // a quarter: half-way
  EXPECT_NEAR(r.At(14 * 3600 + 86400), 100, 1e-9);  // periodic
  EXPECT_DOUBLE_EQ(r.Mean(), 60);
}

TEST(PoissonRequests, CountsFollowTheRateAndTheSeed) {
  const Distribution prompt = Distribution::Fixed(1000), output = Distribution::Fixed(200.4);
  // A day of a diurnal rate between 2 and 10 per second: 6 x 86,400 = 518,400 expected, a
  // Poisson count (standard deviation 720); the busiest hour (13:30-14:30) near 10 per second,
  // the quietest (01:30-02:30) near 2.
  const RequestRate rate{10, 2, 86400, 14 * 3600};
  Rng rng(11);
  const std::vector<ServingRequest> day = PoissonRequests(rate, 86400, prompt, output, rng);
  EXPECT_NEAR(static_cast<double>(day.size()), 518400, 4 * 720);
  int peak_hour = 0, quiet_hour = 0;
  for (const ServingRequest& r : day) {
    if (r.arrival_s >= 13.5 * 3600 && r.arrival_s < 14.5 * 3600) ++peak_hour;
    if (r.arrival_s >= 1.5 * 3600 && r.arrival_s < 2.5 * 3600) ++quiet_hour;
    ASSERT_EQ(r.prompt_tokens, 1000);
    ASSERT_EQ(r.output_tokens, 200);
  }
  // Expected 3,600 x (2 + 8 (1 + sin(pi/24) / (pi/24)) / 2) ~ 35,950 and ~7,250 (4 sigma).
  EXPECT_NEAR(peak_hour, 3600 * (2 + 8 * (1 + std::sin(M_PI / 24) / (M_PI / 24)) / 2), 760);
  EXPECT_NEAR(quiet_hour, 3600 * (2 + 8 * (1 - std::sin(M_PI / 24) / (M_PI / 24)) / 2), 350);
  for (size_t i = 1; i < day.size(); ++i) ASSERT_LE(day[i - 1].arrival_s, day[i].arrival_s);

  // The same seed, the same requests; a steady rate of 5 for an hour: ~18,000.
  Rng again(11);
  EXPECT_EQ(PoissonRequests(rate, 86400, prompt, output, again).back().arrival_s,
            day.back().arrival_s);
  Rng steady_rng(1);
  const std::vector<ServingRequest> steady =
      PoissonRequests({5, 5}, 3600, prompt, output, steady_rng);
  EXPECT_NEAR(static_cast<double>(steady.size()), 18000, 4 * std::sqrt(18000.0));
  // Nothing without a rate or a duration.
  Rng none(1);
  EXPECT_TRUE(PoissonRequests({0, 0}, 3600, prompt, output, none).empty());
  EXPECT_TRUE(PoissonRequests({5, 5}, 0, prompt, output, none).empty());
}

}  // namespace
}  // namespace gpufleet
