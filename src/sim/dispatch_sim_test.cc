// Dispatch policies in the simulator (docs/MODELS.md, "Dispatch"): what each choice of site costs,
// and a job resuming where its checkpoint copies soonest, checked by hand.
#include <gtest/gtest.h>

#include "report/metrics.h"
#include "sim/simulator.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

SimOptions With(Dispatch d) {
  SimOptions options;
  options.scheduler.dispatch = d;
  return options;
}

double RentUsd(const SimResult& r, const Fleet& fleet) {
  Metrics m = ComputeMetrics(r, RunInfo{});
  AddPowerMetrics(m, r, fleet);
  double rent = 0;
  for (const ProviderMetrics& p : m.providers) rent += p.rent_usd;
  return rent;
}

// One DGX H100 rented on demand at $4/GPU-hour (listed first, so that best fit's tie between two
// empty sites goes to it) and one owned; no tariffs, so rent is the whole cost.
TEST(DispatchSim, CheapestKeepsJobsOnTheOwnedSite) {
  const Fleet fleet = testing::MustParseFleet(
      "providers:\n"
      "  - {name: lab}\n"
      "  - {name: cloud, kind: cloud, gpu_hour_usd: 4}\n"
      "sites:\n"
      "  - {name: rented, provider: cloud, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"
      "  - {name: campus, provider: lab, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n");
  // Two jobs of 8 GPUs for an hour, one after the other: the owned site could run both.
  const std::string jobs =
      "jobs:\n"
      "  - {gpus: 8, duration: 1h}\n"
      "  - {gpus: 8, duration: 1h, submit: 2h}\n";
  // Best fit: both on the first site, 2 x 8 GPU-hours at $4.
  EXPECT_DOUBLE_EQ(RentUsd(testing::RunWorkload(fleet, jobs), fleet), 64);
  // Cheapest: both on the campus, no rent.
  const SimResult cheap = testing::RunWorkload(fleet, jobs, With(Dispatch::kCheapest));
  EXPECT_DOUBLE_EQ(RentUsd(cheap, fleet), 0);
  EXPECT_EQ(cheap.jobs[1].end, 3 * kHour);  // no job waited for it
  // Both at once: one must rent, 8 GPU-hours at $4, whatever the dispatch.
  const std::string together = "jobs: [{gpus: 8, duration: 1h}, {gpus: 8, duration: 1h}]\n";
  EXPECT_DOUBLE_EQ(RentUsd(testing::RunWorkload(fleet, together, With(Dispatch::kCheapest)), fleet),
                   32);
}

// Three sites of one DGX H100: a, b, c. From a, the link to b carries 1 GB/s and the one to c
// 100 GB/s, both at 1 ms. A 10-hour job with a 1 TB checkpoint every 20 min starts on a (best fit
// over empty sites takes the first), two half-hour jobs on b and c. Site a is down from 1 h for
// 5 h: by then b and c are free, and the job resumes on one of them after copying its checkpoint.
TEST(DispatchSim, EarliestStartResumesWhereTheCheckpointCopiesSoonest) {
  const Fleet fleet = testing::MustParseFleet(
      "providers: [{name: lab}]\n"
      "sites:\n"
      "  - {name: a, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"
      "  - {name: b, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"
      "  - {name: c, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"
      "links:\n"
      "  - {between: [a, b], gb_s: 1, latency: 1ms}\n"
      "  - {between: [a, c], gb_s: 100, latency: 1ms}\n");
  const std::string workload =
      "jobs:\n"
      "  - {name: train, gpus: 8, duration: 10h, checkpoint_interval: 20m,\n"
      "     checkpoint_size_gb: 1000, restart_overhead: 10m}\n"
      "  - {gpus: 8, duration: 30m}\n"
      "  - {gpus: 8, duration: 30m}\n"
      "outages: [{site: a, at: 1h, for: 5h}]\n";
  const SimResult fit = testing::RunWorkload(fleet, workload);
  const SimResult soonest = testing::RunWorkload(fleet, workload, With(Dispatch::kEarliestStart));
  for (const SimResult* r : {&fit, &soonest}) {
    ASSERT_EQ(r->jobs[0].interruptions, 1);  // it ran on a
    ASSERT_EQ(r->jobs[0].copies, 1);
  }
  // Best fit takes b, the first free site: 1 ms + 1,000 GB / 1 GB/s = 1,000.001 s.
  EXPECT_EQ(fit.jobs[0].checkpoint_site, 1);
  EXPECT_EQ(fit.jobs[0].copy_ms, 1'000'001);
  // Earliest start takes c: 1 ms + 1,000 GB / 100 GB/s = 10.001 s, and ends 990 s sooner.
  EXPECT_EQ(soonest.jobs[0].checkpoint_site, 2);
  EXPECT_EQ(soonest.jobs[0].copy_ms, 10'001);
  EXPECT_EQ(fit.jobs[0].end - soonest.jobs[0].end, 990 * kSecond);
}

}  // namespace
}  // namespace gpufleet
