// Providers' prices: on-demand, reserved and spot sites, what the report bills for each, and spot
// reclaims with their notice.
#include <gtest/gtest.h>

#include <cmath>

#include "report/metrics.h"
#include "sim/simulator.h"
#include "spec/spec_test_support.h"
#include "spec/specs.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

using spec_test::IsError;

// One DGX H100 (8 GPUs) rented from `cloud` under `pricing`, spot nodes taken back `rate` times
// a node-day with 30 s of notice, back after 10 min. Storage at 1 GB/s, so that a checkpoint of
// N GB takes N seconds to write.
std::string CloudSite(const std::string& pricing, double rate = 0, int nodes = 1) {
  return "providers:\n"
         "  - name: cloud\n"
         "    kind: cloud\n"
         "    gpu_hour_usd: 4\n"
         "    reserved: {gpu_hour_usd: 2.5, term: 365d}\n"
         "    spot: {gpu_hour_usd: 1.5, reclaims_per_node_day: " +
         std::to_string(rate) +
         ", notice: 30s, back_after: 10m}\n"
         "sites:\n"
         "  - {name: s, pricing: " +
         pricing + ", power_budget_mw: 1, storage_gb_s: 1,\n" +
         "     domains: [{name: d, count: " + std::to_string(nodes) + ", node_type: dgx-h100}]}\n";
}

TEST(Pricing, BadPricesNameTheirField) {
  EXPECT_TRUE(IsError(spec_test::F("providers: []\nsites:\n  - {name: s, power_budget_mw: 1, "
                                   "domains: [{node_type: dgx-h100}]}\n"),
                      "f.yaml:1:12:", "providers", "expected at least one provider"));
  // A spot price with an error of its own: the site's pricing is not an error besides.
  const Result<Fleet> bad_notice = spec_test::F(
      "providers: [{name: c, kind: cloud, spot: {gpu_hour_usd: 1, reclaims_per_node_day: 1, "
      "notice: 5, back_after: 1h}}]\n"
      "sites:\n"
      "  - {name: s, pricing: spot, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n");
  EXPECT_TRUE(IsError(bad_notice, "f.yaml:1:", "providers[0].spot.notice", "duration"));
  EXPECT_EQ(spec_test::ErrorCount(bad_notice), 1u) << bad_notice.message();
  const std::string owned =
      "providers: [{name: lab}]\n"                                                             // 1
      "sites:\n"                                                                               // 2
      "  - {name: s, pricing: spot, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n";  // 3
  EXPECT_TRUE(IsError(spec_test::F(owned), "f.yaml:3:24:", "sites[0].pricing", "is owned"));
  const std::string no_spot =
      "providers: [{name: c, kind: cloud, gpu_hour_usd: 2}]\n"
      "sites:\n"
      "  - {name: s, pricing: spot, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n";
  EXPECT_TRUE(
      IsError(spec_test::F(no_spot), "f.yaml:3:24:", "sites[0].pricing", "offers no spot price"));
  const std::string no_reserved =
      "providers: [{name: c, kind: cloud}]\n"
      "sites:\n"
      "  - {name: s, pricing: reserved, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n";
  EXPECT_TRUE(IsError(spec_test::F(no_reserved), "f.yaml:3:24:", "sites[0].pricing",
                      "offers no reserved price"));
  const std::string unknown =
      "providers: [{name: c, kind: cloud}]\n"
      "sites:\n"
      "  - {name: s, pricing: cheap, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n";
  EXPECT_TRUE(IsError(spec_test::F(unknown), "f.yaml:3:24:", "sites[0].pricing",
                      "expected on_demand, reserved or spot, got 'cheap'"));
  const std::string owned_spot =
      "providers: [{name: lab, spot: {gpu_hour_usd: 1, reclaims_per_node_day: 1, notice: 30s, "
      "back_after: 1h}}]\n"
      "sites:\n"
      "  - {name: s, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n";
  EXPECT_TRUE(
      IsError(spec_test::F(owned_spot), "f.yaml:1:31:", "providers[0].spot", "needs kind: cloud"));
  const std::string no_notice =
      "providers: [{name: c, kind: cloud, spot: {gpu_hour_usd: 1, reclaims_per_node_day: 1, "
      "back_after: 1h}}]\n"
      "sites:\n"
      "  - {name: s, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n";
  EXPECT_TRUE(IsError(spec_test::F(no_notice), "f.yaml:1:42:", "providers[0].spot.notice",
                      "missing required field"));
  const std::string no_term =
      "providers: [{name: c, kind: cloud, reserved: {gpu_hour_usd: 1}}]\n"
      "sites:\n"
      "  - {name: s, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n";
  EXPECT_TRUE(IsError(spec_test::F(no_term), "f.yaml:1:46:", "providers[0].reserved.term",
                      "missing required field"));
  const std::string fast =
      "providers: [{name: c, kind: cloud, spot: {gpu_hour_usd: 1, reclaims_per_node_day: 5000, "
      "notice: 30s, back_after: 1h}}]\n"
      "sites:\n"
      "  - {name: s, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n";
  EXPECT_TRUE(IsError(spec_test::F(fast), "f.yaml:1:83:", "providers[0].spot.reclaims_per_node_day",
                      "reclaims per node and day"));
}

// One 4-GPU job for 1 h on the 8-GPU site. On demand and spot bill what it held: 4 GPU-hours at
// $4 and $1.5; reserved bills all 8 GPUs for the run's hour at $2.5, used or not.
TEST(Pricing, EachPricingBillsWhatItShould) {
  const std::string job = "jobs: [{gpus: 4, duration: 1h}]\n";
  struct Case {
    std::string pricing;
    double billed_gpu_hours, rent;
  };
  for (const Case& c : {Case{"on_demand", 4, 16}, Case{"spot", 4, 6}, Case{"reserved", 8, 20}}) {
    const Fleet fleet = testing::MustParseFleet(CloudSite(c.pricing));
    const SimResult r = testing::RunUntil(fleet, job);
    ASSERT_EQ(r.end_time, kHour) << c.pricing;
    Metrics m = ComputeMetrics(r, RunInfo{});
    AddPowerMetrics(m, r, fleet);
    ASSERT_EQ(m.power_sites.size(), 1u);
    EXPECT_EQ(m.power_sites[0].pricing, c.pricing);
    EXPECT_DOUBLE_EQ(m.power_sites[0].rented_gpu_hours, c.billed_gpu_hours) << c.pricing;
    EXPECT_DOUBLE_EQ(*m.power_sites[0].rent_usd, c.rent) << c.pricing;
    ASSERT_EQ(m.providers.size(), 1u);
    EXPECT_DOUBLE_EQ(m.providers[0].rent_usd, c.rent);
    EXPECT_DOUBLE_EQ(
        m.providers[0].on_demand_usd + m.providers[0].reserved_usd + m.providers[0].spot_usd,
        c.rent);
    EXPECT_DOUBLE_EQ((c.pricing == "spot"       ? m.providers[0].spot_usd
                      : c.pricing == "reserved" ? m.providers[0].reserved_usd
                                                : m.providers[0].on_demand_usd),
                     c.rent);
  }
}

// Owned capacity with a purchase price: 8 GPUs at $43,800 over a 365-day life is $40 an hour
// for the site ($43,800 x 8 / 8,760 h), busy or idle: a 4-GPU job's hour bills $40, and with the
// tariff the electricity beside it. A purchase price on rented capacity, or without its life, is
// an error.
TEST(Pricing, OwnedCapacityBillsItsPurchaseOverItsLife) {
  const Fleet fleet = testing::MustParseFleet(
      "providers: [{name: lab, capex: {gpu_usd: 43800, life: 365d}}]\n"
      "sites:\n"
      "  - {name: s, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n");
  const SimResult r = testing::RunUntil(fleet, "jobs: [{gpus: 4, duration: 1h}]\n");
  ASSERT_EQ(r.end_time, kHour);
  Metrics m = ComputeMetrics(r, RunInfo{});
  AddPowerMetrics(m, r, fleet);
  EXPECT_DOUBLE_EQ(*m.power_sites[0].capex_usd, 40);
  EXPECT_DOUBLE_EQ(*m.power_sites[0].cost_usd, 40);  // no tariff: no electricity billed
  ASSERT_EQ(m.providers.size(), 1u);
  EXPECT_DOUBLE_EQ(m.providers[0].capex_usd, 40);
  EXPECT_DOUBLE_EQ(m.providers[0].cost_usd, 40);
  EXPECT_DOUBLE_EQ(m.cost_usd, 40);
  EXPECT_TRUE(IsError(spec_test::F("providers: [{name: c, kind: cloud, capex: {gpu_usd: 1, "
                                   "life: 1d}}]\n"
                                   "sites:\n"
                                   "  - {name: s, power_budget_mw: 1, domains: [{node_type: "
                                   "dgx-h100}]}\n"),
                      "f.yaml:1:", "providers[0].capex", "needs kind: owned"));
  EXPECT_TRUE(IsError(spec_test::F("providers: [{name: lab, capex: {gpu_usd: 1}}]\n"
                                   "sites:\n"
                                   "  - {name: s, power_budget_mw: 1, domains: [{node_type: "
                                   "dgx-h100}]}\n"),
                      "f.yaml:1:", "providers[0].capex.life", "missing required field"));
  EXPECT_TRUE(IsError(spec_test::F("providers: [{name: lab, capex: {gpu_usd: -1, life: 5d}}]\n"
                                   "sites:\n"
                                   "  - {name: s, power_budget_mw: 1, domains: [{node_type: "
                                   "dgx-h100}]}\n"),
                      "f.yaml:1:", "providers[0].capex.gpu_usd", "expected"));
}

// Spot nodes taken back about once an hour (24 a node-day) under a 10-hour job that checkpoints
// every 30 min. Writing its checkpoint takes 10 s, within the 30 s notice: every reclaim finds it
// saved, and it loses nothing. A checkpoint of 60 s does not fit the notice: it loses the work
// since its last checkpoint. Both pay up to 10 min to restart each time.
TEST(SpotReclaims, AJobThatCheckpointsInTheNoticeLosesNothing) {
  const Fleet fleet = testing::MustParseFleet(CloudSite("spot", 24));
  auto job = [](int size_gb) {
    return "jobs: [{gpus: 8, duration: 10h, checkpoint_interval: 30m, checkpoint_size_gb: " +
           std::to_string(size_gb) + ", restart_overhead: 10m}]\n";
  };
  const SimResult saved = testing::RunUntil(fleet, job(10));
  const JobRecord& s = saved.jobs[0];
  const auto& spot = saved.failures[static_cast<size_t>(FailureCategory::kSpot)];
  ASSERT_GT(s.interruptions, 2);  // 10 h and more at one an hour: the seed gives several
  EXPECT_EQ(spot.interruptions, s.interruptions);
  EXPECT_EQ(s.lost_ms, 0);
  EXPECT_EQ(spot.lost_gpu_ms, 0);
  // A reclaim during a restart starts it over: at most 10 min each.
  EXPECT_LE(s.restart_ms, s.interruptions * 10 * kMinute);
  EXPECT_GT(s.restart_ms, 0);

  const SimResult late = testing::RunUntil(fleet, job(60));
  const JobRecord& l = late.jobs[0];
  ASSERT_GT(l.interruptions, 2);
  EXPECT_GT(l.lost_ms, 0);
  // Each loses less than an interval's work.
  EXPECT_LT(l.lost_ms, l.interruptions * 30 * kMinute);
  EXPECT_GT(l.end, s.end);
}

// Reclaims over 64 spot nodes at 1 a node-day for 30 days: 1,920 expected, a standard deviation
// of 43.8; within 4 of them. A long 1-GPU job keeps the run going.
TEST(SpotReclaims, TheirCountFollowsTheRate) {
  const Fleet fleet = testing::MustParseFleet(CloudSite("spot", 1, 64));
  const SimResult r = testing::RunUntil(fleet, "jobs: [{gpus: 1, duration: 1000d}]\n", 30 * kDay);
  const double events =
      static_cast<double>(r.failures[static_cast<size_t>(FailureCategory::kSpot)].events);
  EXPECT_NEAR(events, 1920, 4 * std::sqrt(1920.0));
  // A reclaim of a node already taken back takes nothing more down.
  EXPECT_LE(r.node_failures, r.failures[static_cast<size_t>(FailureCategory::kSpot)].events);
  EXPECT_GT(r.node_failures, 0);
}

// Reclaims draw from streams of their own: the failure model's failures over the same fleet are
// the same with spot pricing and without.
TEST(SpotReclaims, TheyNeverChangeTheFailureModelsDraws) {
  const std::string workload =
      "jobs: [{gpus: 1, duration: 1000d}]\n"
      "failure_model: {rates: llama3, scale: 50}\n";
  const Fleet spot = testing::MustParseFleet(CloudSite("spot", 2, 16));
  const Fleet on_demand = testing::MustParseFleet(CloudSite("on_demand", 2, 16));
  const SimResult a = testing::RunUntil(spot, workload, 20 * kDay);
  const SimResult b = testing::RunUntil(on_demand, workload, 20 * kDay);
  EXPECT_GT(a.failures[static_cast<size_t>(FailureCategory::kSpot)].events, 0);
  EXPECT_EQ(b.failures[static_cast<size_t>(FailureCategory::kSpot)].events, 0);
  std::int64_t drawn = 0;
  for (int c = 0; c < kRandomFailureCategories; ++c) {
    EXPECT_EQ(a.failures[static_cast<size_t>(c)].events, b.failures[static_cast<size_t>(c)].events)
        << FailureCategoryName(static_cast<FailureCategory>(c));
    drawn += a.failures[static_cast<size_t>(c)].events;
  }
  EXPECT_GT(drawn, 0);
}

// checkpoint_interval: auto counts the site's reclaims: on a spot site with no failure model the
// job still checkpoints (Daly's interval for one reclaim an hour and a 60 s write), and loses less
// than an interval's work at each reclaim.
TEST(SpotReclaims, AnAutoIntervalCountsThem) {
  const Fleet fleet = testing::MustParseFleet(CloudSite("spot", 24));
  const SimResult r =
      testing::RunUntil(fleet,
                        "jobs: [{gpus: 8, duration: 10h, checkpoint_interval: auto, "
                        "checkpoint_size_gb: 60, restart_overhead: 10m}]\n",
                        30 * kDay);
  const JobRecord& j = r.jobs[0];
  EXPECT_EQ(j.state, JobRecord::State::kCompleted);
  EXPECT_GT(j.interruptions, 2);
  EXPECT_GT(j.checkpoint_every, 0);
}

// Without the twin's physics nothing random happens: no reclaim.
TEST(SpotReclaims, NoneWithoutPhysics) {
  const Fleet fleet = testing::MustParseFleet(CloudSite("spot", 24));
  SimOptions options;
  options.physics = false;
  Simulator sim(
      fleet,
      BindWorkload(testing::MustParseWorkload("jobs: [{gpus: 8, duration: 10h}]\n"), fleet, 1)
          .value(),
      options);
  const SimResult r = sim.Run();
  EXPECT_EQ(r.failures[static_cast<size_t>(FailureCategory::kSpot)].events, 0);
  EXPECT_EQ(r.jobs[0].end, 10 * kHour);
}

}  // namespace
}  // namespace gpufleet
