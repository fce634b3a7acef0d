// Elastic renting in the simulator, by hand (docs/MODELS.md, "Elastic renting"): nodes rented
// when the queue's forecast wait exceeds the threshold, serving after their provisioning, billed
// while held and given back idle; and the spec's errors.
#include <gtest/gtest.h>

#include "report/metrics.h"
#include "sim/simulator.h"
#include "spec/spec_test_support.h"
#include "spec/specs.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

using spec_test::IsError;

// An owned campus of one DGX H100 (8 GPUs) and an elastic Azure site of up to two, on demand at
// $4 a GPU-hour: provisioning 10 min, given back after 30 min idle, rented when a queued job's
// forecast wait exceeds `threshold`.
std::string CampusAndBurst(const std::string& threshold) {
  return "providers:\n"
         "  - {name: lab}\n"
         "  - {name: azure, kind: cloud, gpu_hour_usd: 4}\n"
         "sites:\n"
         "  - {name: campus, provider: lab, power_budget_mw: 1, domains: [{name: d, node_type: "
         "dgx-h100}]}\n"
         "  - name: burst\n"
         "    provider: azure\n"
         "    power_budget_mw: 1\n"
         "    elastic: {provisioning: 10m, release_after_idle: 30m, rent_when_wait_exceeds: " +
         threshold +
         "}\n"
         "    domains: [{name: d, count: 2, node_type: dgx-h100}]\n";
}

constexpr const char* kTwoJobs =
    "jobs:\n"
    "  - {name: long, gpus: 8, duration: 10h, estimate: 10h}\n"
    "  - {name: second, gpus: 8, duration: 2h, estimate: 2h}\n";

TEST(Elastic, RentsANodeWhenTheQueueWouldWaitTooLongAndGivesItBackIdle) {
  // `long` takes the campus at 0. `second` would wait 10h for it: more than 1h, so one node is
  // rented at 0; it serves at 10 min, `second` runs on it until 2h 10min; idle from then, it goes
  // back at 2h 40min. Billed 2.5 node-hours x 8 GPUs x $4 = $80.
  const Fleet fleet = testing::MustParseFleet(CampusAndBurst("1h"));
  const SimResult r = testing::RunUntil(fleet, kTwoJobs);
  ASSERT_EQ(r.jobs.size(), 2u);
  EXPECT_EQ(r.jobs[1].first_start, 10 * kMinute);
  EXPECT_EQ(r.jobs[1].end, 130 * kMinute);
  EXPECT_EQ(r.jobs[0].end, 10 * kHour);
  ASSERT_EQ(r.elastic.size(), 1u);
  EXPECT_EQ(r.elastic[0].site, 1);
  EXPECT_EQ(r.elastic[0].asked, 1);
  EXPECT_EQ(r.elastic[0].acquired, 1);
  EXPECT_EQ(r.elastic[0].released, 1);
  EXPECT_EQ(r.elastic[0].peak_nodes, 1);
  EXPECT_EQ(r.elastic[0].held_node_ms, 150 * kMinute);
  Metrics m = ComputeMetrics(r, RunInfo{});
  AddPowerMetrics(m, r, fleet);
  AddElasticMetrics(m, r, fleet);
  ASSERT_EQ(m.power_sites.size(), 2u);
  EXPECT_DOUBLE_EQ(m.power_sites[1].rented_gpu_hours, 20);
  EXPECT_DOUBLE_EQ(*m.power_sites[1].rent_usd, 80);
  ASSERT_EQ(m.elastic.size(), 1u);
  EXPECT_EQ(m.elastic[0].site, "burst");
  EXPECT_DOUBLE_EQ(m.elastic[0].node_hours, 2.5);
  EXPECT_DOUBLE_EQ(m.elastic[0].busy, 0.8);  // 16 of the 20 GPU-hours held
  // The rented GPU-time counts as available only while held: 10h x 8 on the campus plus 2.5h x 8.
  EXPECT_EQ(r.available_gpu_milli_ms, (80.0L + 20) * kHour * kMilliPerGpu);
}

TEST(Elastic, BelowTheThresholdTheQueueWaits) {
  // A 12h threshold: `second`'s 10h wait does not rent; it runs on the campus after `long`.
  const Fleet fleet = testing::MustParseFleet(CampusAndBurst("12h"));
  const SimResult r = testing::RunUntil(fleet, kTwoJobs);
  EXPECT_EQ(r.jobs[1].first_start, 10 * kHour);
  ASSERT_EQ(r.elastic.size(), 1u);
  EXPECT_EQ(r.elastic[0].asked, 0);
  EXPECT_EQ(r.elastic[0].held_node_ms, 0);
}

TEST(Elastic, AJobLargerThanTheOwnedCapacityIsRentedWhatItLacks) {
  // 16 GPUs: more than the campus's 8, never startable there. Rented at once (its forecast wait
  // is for ever) for what it lacks beyond the campus's 8 free GPUs: one node, serving at 10 min;
  // the job spans the campus and that node (topology any) and ends at 1h 10min, and so does the
  // run: the node, still held, is billed until then (60 min), not for the idle time it would have
  // been kept after it.
  const Fleet fleet = testing::MustParseFleet(CampusAndBurst("1h"));
  const SimResult r = testing::RunUntil(fleet, "jobs: [{name: big, gpus: 16, duration: 1h}]\n");
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].first_start, 10 * kMinute);
  EXPECT_EQ(r.jobs[0].end, 70 * kMinute);
  EXPECT_EQ(r.elastic[0].asked, 1);
  EXPECT_EQ(r.elastic[0].acquired, 1);
  EXPECT_EQ(r.elastic[0].held_node_ms, 60 * kMinute);
  EXPECT_EQ(r.elastic[0].released, 0);
  EXPECT_EQ(r.end_time, 70 * kMinute);
}

TEST(Elastic, AFailureWhileANodeComesForAJobAsksOnlyForWhatItTookAway) {
  // The 16-GPU job again, the burst site up to three nodes, and the campus failing at 5 min for
  // 30 min. At 0 one node is asked for (what the job lacks beyond the campus's 8); at 5 min the
  // campus is down: the job lacks 16, but the queue's 16 GPUs less the 8 on their way leave 8 -
  // one more node, at 5 min, serving at 15 min (not two: that would rent three nodes for 16
  // GPUs). The job runs on the two from 15 min to 1h 15min, when the run ends: held 65 + 60 min.
  const Fleet fleet = testing::MustParseFleet(
      "providers: [{name: lab}, {name: azure, kind: cloud, gpu_hour_usd: 4}]\n"
      "sites:\n"
      "  - {name: campus, provider: lab, power_budget_mw: 1, domains: [{name: d, node_type: "
      "dgx-h100}]}\n"
      "  - {name: burst, provider: azure, power_budget_mw: 1, elastic: {provisioning: 10m, "
      "release_after_idle: 30m, rent_when_wait_exceeds: 1h}, domains: [{name: d, count: 3, "
      "node_type: dgx-h100}]}\n");
  const SimResult r =
      testing::RunUntil(fleet,
                        "jobs: [{name: big, gpus: 16, duration: 1h}]\n"
                        "failures: [{at: 5m, target: campus, repair_after: 30m}]\n");
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].first_start, 15 * kMinute);
  EXPECT_EQ(r.jobs[0].end, 75 * kMinute);
  ASSERT_EQ(r.elastic.size(), 1u);
  EXPECT_EQ(r.elastic[0].asked, 2);
  EXPECT_EQ(r.elastic[0].peak_nodes, 2);
  EXPECT_EQ(r.elastic[0].held_node_ms, 125 * kMinute);
}

TEST(Elastic, ARentedNodeThatFailsIsGivenBackAndAnotherRented) {
  // The burst site fails for good at 1h: `second`, rented a node at 0 (serving from 10 min),
  // loses its run; its node is given back then (50 min held), not billed for ever. It waits for
  // 9h more behind `long`: the site's other node is rented (the failed one stays down), serves
  // at 1h 10min, runs `second` again and goes back 30 min after it ends.
  const Fleet fleet = testing::MustParseFleet(CampusAndBurst("1h"));
  const SimResult r =
      testing::RunUntil(fleet, std::string(kTwoJobs) + "failures: [{at: 1h, target: burst}]\n");
  ASSERT_EQ(r.jobs.size(), 2u);
  EXPECT_EQ(r.jobs[1].state, JobRecord::State::kCompleted);
  EXPECT_EQ(r.jobs[1].interruptions, 1);
  ASSERT_EQ(r.elastic.size(), 1u);
  EXPECT_EQ(r.elastic[0].acquired, 2);
  EXPECT_EQ(r.elastic[0].released, 2);
  EXPECT_EQ(r.elastic[0].held_node_ms,
            50 * kMinute + (r.jobs[1].end + 30 * kMinute - 70 * kMinute));
}

TEST(Elastic, SpecErrorsNameTheirField) {
  auto fleet = [](const std::string& provider, const std::string& extra) {
    return "providers:\n"
           "  - {name: lab}\n"
           "  - {name: azure, kind: cloud, gpu_hour_usd: 4, spot: {gpu_hour_usd: 1, "
           "reclaims_per_node_day: 0.1, notice: 30s, back_after: 1h}}\n"
           "sites:\n"
           "  - {name: s, provider: " +
           provider + ", power_budget_mw: 1, " + extra +
           "domains: [{name: d, node_type: dgx-h100}]}\n";
  };
  EXPECT_TRUE(IsError(spec_test::F(fleet("lab", "elastic: {}, ")), "f.yaml:5:", "sites[0].elastic",
                      "elastic capacity is rented on demand: provider 'lab' needs kind: cloud"));
  EXPECT_TRUE(IsError(spec_test::F(fleet("azure", "pricing: spot, elastic: {}, ")),
                      "f.yaml:5:", "sites[0].elastic", "rented on demand, not spot"));
  EXPECT_TRUE(IsError(spec_test::F(fleet("azure", "elastic: {provisioning: soon}, ")),
                      "f.yaml:5:", "sites[0].elastic.provisioning", "duration"));
  EXPECT_TRUE(IsError(spec_test::F(fleet("azure", "elastic: {max_nodes: 3}, ")),
                      "f.yaml:5:", "sites[0].elastic.max_nodes", "unknown"));
  // And a valid one.
  const Result<Fleet> ok = spec_test::F(fleet("azure",
                                              "elastic: {provisioning: 5m, release_after_idle: 1h, "
                                              "rent_when_wait_exceeds: 2h}, "));
  ASSERT_TRUE(ok.ok()) << ok.message();
  ASSERT_TRUE(ok.value().sites()[0].elastic);
  EXPECT_EQ(ok.value().sites()[0].elastic->provisioning, 5 * kMinute);
  EXPECT_EQ(ok.value().sites()[0].elastic->release_after_idle, kHour);
  EXPECT_EQ(ok.value().sites()[0].elastic->rent_when_wait_exceeds, 2 * kHour);
}

}  // namespace
}  // namespace gpufleet
