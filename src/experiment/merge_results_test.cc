// Merging runs must keep every total: two small real runs that touch every field of SimResult
// (host CPU and memory, site energy and carbon, failures with lost work, rejections, --until),
// merged and compared field by field with their sums. (merge_results.cc also counts SimResult's
// members at compile time, so a new member cannot be forgotten.)
#include "experiment/merge_results.h"

#include <gtest/gtest.h>

#include "test_fleets.h"

namespace gpufleet {
namespace {

// Two DGX H100 (112 cores, 2,048 GB each), on a grid of 400 g/kWh.
const char* const kSiteLines = "    power_budget_mw: 10\n    carbon_g_per_kwh: 400\n";

struct SmallRun {
  Fleet fleet;
  SimResult result;
  std::int64_t cpu_milli = 0, memory_mib = 0;  // the fleet's host capacity
};

SmallRun Simulate(const std::string& workload, SimTime until) {
  SmallRun run{testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2, kSiteLines)), {}};
  Result<BoundWorkload> w =
      BindWorkload(testing::MustParseWorkload(workload), run.fleet, /*seed=*/1);
  EXPECT_TRUE(w.ok()) << w.message();
  SimOptions options;
  options.scheduler.policy = "fifo";
  options.until = until;
  Simulator sim(run.fleet, std::move(w).value(), options);
  run.result = sim.Run();
  run.cpu_milli = 2 * 112'000;
  run.memory_mib = 2 * 2048 * 1024;
  return run;
}

TEST(MergeResults, KeepsEveryTotal) {
  // a: two jobs with host resources; the whole leaf fails at 30m for 30m (GPU category), so both
  // lose their work; a 64-GPU job fits no fleet of 16 and is rejected.
  const SmallRun a = Simulate(
      "tenants: [{name: ta}]\n"
      "jobs:\n"
      "  - {name: a1, gpus: 8, cpus: 10, memory_gb: 100, duration: 2h}\n"
      "  - {name: a2, gpus: 8, duration: 1h}\n"
      "  - {name: huge, gpus: 64, duration: 1h}\n"
      "failures: [{at: 30m, target: s/p/l, repair_after: 30m, category: gpu}]\n"
      "outages: [{site: s, at: 1h30m, for: 5m}]\n",
      kNever);
  // b: one 5-hour job cut off at --until 1h, and one that waits behind it for the whole fleet.
  const SmallRun b = Simulate(
      "tenants: [{name: tb1}, {name: tb2}]\n"
      "jobs:\n"
      "  - {name: huge-b, gpus: 64, duration: 1h}\n"
      "  - {name: b1, gpus: 4, cpus: 20, memory_gb: 50, duration: 5h, tenant: tb2}\n"
      "  - {name: b2, gpus: 16, duration: 1h}\n",
      kHour);
  const SimResult& ra = a.result;
  const SimResult& rb = b.result;
  // The runs exercise every field, so that a field the merge dropped would show.
  ASSERT_EQ(ra.rejections.size(), 1u);
  ASSERT_EQ(rb.rejections.size(), 1u);
  ASSERT_EQ(rb.waiting.size(), 1u);
  ASSERT_TRUE(rb.stopped_at_until);
  ASSERT_FALSE(ra.stopped_at_until);
  ASSERT_GT(ra.end_time, rb.end_time);
  for (const SimResult* r : {&ra, &rb}) {
    ASSERT_GT(r->allocated_cpu_ms, 0);
    ASSERT_GT(r->allocated_memory_ms, 0);
    ASSERT_GT(r->available_cpu_ms, 0);
    ASSERT_GT(r->available_memory_ms, 0);
    ASSERT_EQ(r->sites.size(), 1u);
    ASSERT_GT(r->sites[0].it_energy_wms, 0);
    ASSERT_GT(r->sites[0].carbon_g, 0);
  }
  const auto gpu = static_cast<size_t>(FailureCategory::kGpu);
  ASSERT_GT(ra.failures[gpu].events, 0);
  ASSERT_GT(ra.failures[gpu].interruptions, 0);
  ASSERT_GT(ra.failures[gpu].lost_gpu_ms, 0);
  ASSERT_GT(ra.node_failures, 0);
  ASSERT_GT(ra.node_repairs, 0);
  ASSERT_EQ(ra.outages.size(), 1u);
  ASSERT_GT(ra.outages[0].jobs_interrupted, 0);

  const SimResult m =
      MergeResults({{&ra, a.cpu_milli, a.memory_mib}, {&rb, b.cpu_milli, b.memory_mib}});

  // Jobs side by side; b's tenants and job ids come after a's.
  ASSERT_EQ(m.jobs.size(), ra.jobs.size() + rb.jobs.size());
  for (size_t i = 0; i < rb.jobs.size(); ++i) {
    const JobRecord& j = m.jobs[ra.jobs.size() + i];
    EXPECT_EQ(j.spec.name, rb.jobs[i].spec.name);
    EXPECT_EQ(j.spec.tenant, rb.jobs[i].spec.tenant + 1);
    EXPECT_EQ(j.end, rb.jobs[i].end);
    EXPECT_EQ(j.gpu_milli_ms, rb.jobs[i].gpu_milli_ms);
  }
  ASSERT_EQ(m.tenants.size(), 3u);
  EXPECT_EQ(m.tenants[2].name, "tb2");
  ASSERT_EQ(m.rejections.size(), 2u);
  EXPECT_EQ(m.rejections[0], ra.rejections[0]);
  EXPECT_EQ(m.rejections[1].first, static_cast<JobId>(ra.jobs.size()) + rb.rejections[0].first);
  EXPECT_EQ(m.jobs[static_cast<size_t>(m.rejections[1].first)].spec.name, "huge-b");
  EXPECT_EQ(m.rejections[1].second, rb.rejections[0].second);
  ASSERT_EQ(m.waiting.size(), 1u);
  EXPECT_EQ(m.waiting[0].first, static_cast<JobId>(ra.jobs.size()) + rb.waiting[0].first);
  EXPECT_EQ(m.jobs[static_cast<size_t>(m.waiting[0].first)].spec.name, "b2");
  EXPECT_EQ(m.waiting[0].second.code, rb.waiting[0].second.code);

  EXPECT_EQ(m.end_time, ra.end_time);
  EXPECT_TRUE(m.stopped_at_until);
  EXPECT_EQ(m.events, ra.events + rb.events);
  EXPECT_EQ(m.passes, ra.passes + rb.passes);
  EXPECT_EQ(m.total_gpus, ra.total_gpus + rb.total_gpus);
  EXPECT_EQ(m.allocated_gpu_milli_ms, ra.allocated_gpu_milli_ms + rb.allocated_gpu_milli_ms);
  EXPECT_EQ(m.allocated_cpu_ms, ra.allocated_cpu_ms + rb.allocated_cpu_ms);
  EXPECT_EQ(m.allocated_memory_ms, ra.allocated_memory_ms + rb.allocated_memory_ms);
  // b's fleet stays available from its end (1h) until a's: all of it, healthy.
  const auto tail = static_cast<long double>(ra.end_time - rb.end_time);
  EXPECT_EQ(m.available_gpu_milli_ms,
            ra.available_gpu_milli_ms + rb.available_gpu_milli_ms + 16.0L * kMilliPerGpu * tail);
  EXPECT_EQ(m.available_cpu_ms, ra.available_cpu_ms + rb.available_cpu_ms +
                                    static_cast<long double>(b.cpu_milli) * tail);
  EXPECT_EQ(m.available_memory_ms, ra.available_memory_ms + rb.available_memory_ms +
                                       static_cast<long double>(b.memory_mib) * tail);

  ASSERT_EQ(m.sites.size(), 2u);
  for (size_t s = 0; s < 2; ++s) {
    const SimResult::SitePower& want = (s == 0 ? ra : rb).sites[0];
    EXPECT_EQ(m.sites[s].it_energy_wms, want.it_energy_wms);
    EXPECT_EQ(m.sites[s].facility_energy_wms, want.facility_energy_wms);
    EXPECT_EQ(m.sites[s].carbon_g, want.carbon_g);
    EXPECT_EQ(m.sites[s].peak_w, want.peak_w);
    EXPECT_EQ(m.sites[s].over_budget_ms, want.over_budget_ms);
    EXPECT_EQ(m.sites[s].capped_ms, want.capped_ms);
    EXPECT_EQ(m.sites[s].capped_lost_gpu_ms, want.capped_lost_gpu_ms);
  }
  for (size_t c = 0; c < m.failures.size(); ++c) {
    EXPECT_EQ(m.failures[c].events, ra.failures[c].events + rb.failures[c].events);
    EXPECT_EQ(m.failures[c].interruptions,
              ra.failures[c].interruptions + rb.failures[c].interruptions);
    EXPECT_EQ(m.failures[c].lost_gpu_ms, ra.failures[c].lost_gpu_ms + rb.failures[c].lost_gpu_ms);
  }
  ASSERT_EQ(m.outages.size(), 1u);
  EXPECT_EQ(m.outages[0].jobs_interrupted, ra.outages[0].jobs_interrupted);
  EXPECT_EQ(m.outages[0].restart_delays, ra.outages[0].restart_delays);
  EXPECT_EQ(m.checkpoint_copies, ra.checkpoint_copies + rb.checkpoint_copies);
  EXPECT_EQ(m.copy_gpu_ms, ra.copy_gpu_ms + rb.copy_gpu_ms);
  ASSERT_EQ(m.checkpoint_egress_gb.size(), 2u);
  EXPECT_EQ(m.node_failures, ra.node_failures + rb.node_failures);
  EXPECT_EQ(m.node_repairs, ra.node_repairs + rb.node_repairs);
  EXPECT_FALSE(m.series) << "experiments record no time series";
}

TEST(MergeResults, ElasticSitesKeepTheirRunsSites) {
  // Two runs of two sites each; the second's elastic site 1 is site 3 of the merged result.
  SimResult a, b;
  a.sites.resize(2);
  b.sites.resize(2);
  a.elastic = {{0, 3600000, 28800000, 2, 1, 1, 1}};
  b.elastic = {{1, 7200000, 57600000, 3, 2, 1, 2}};
  const SimResult m = MergeResults({{&a, 0, 0}, {&b, 0, 0}});
  ASSERT_EQ(m.elastic.size(), 2u);
  EXPECT_EQ(m.elastic[0].site, 0);
  EXPECT_EQ(m.elastic[1].site, 3);
  EXPECT_EQ(m.elastic[1].held_gpu_ms, 57600000);
  EXPECT_EQ(m.elastic[1].asked, 3);
  EXPECT_EQ(m.elastic[1].peak_nodes, 2);
}

TEST(MergeResults, NothingToMerge) {
  const SimResult m = MergeResults({});
  EXPECT_TRUE(m.jobs.empty());
  EXPECT_EQ(m.end_time, 0);
  EXPECT_FALSE(m.stopped_at_until);
}

}  // namespace
}  // namespace gpufleet
