#include "sim/series_recorder.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sim/simulator.h"
#include "spec/specs.h"
#include "test_fleets.h"
#include "util/rng.h"

namespace gpufleet {
namespace {

// Two sites of one DGX node each (8 GPUs).
const Fleet& TwoNodes() {
  static const Fleet fleet = testing::MustParseFleet(
      "sites:\n"
      "  - name: east\n"
      "    power_budget_mw: 1\n"
      "    leaves: [{name: l, domains: [{name: d, count: 1, node_type: dgx-h100}]}]\n"
      "  - name: west\n"
      "    power_budget_mw: 1\n"
      "    leaves: [{name: l, domains: [{name: d, count: 1, node_type: dgx-h100}]}]\n");
  return fleet;
}

SeriesState Holding(std::int64_t milli, const std::vector<std::int64_t>* by_site) {
  SeriesState s;
  s.held_milli = milli;
  s.up_milli = 16'000;
  s.site_held_milli = by_site;
  return s;
}

TEST(SeriesRecorder, AveragesAreExactIntegralsSplitAtIntervalBoundaries) {
  // Interval 1 h. 8 GPUs held from 0:00 to 0:30, 4 from 0:30 to 1:30, 12 from 1:30 to 2:15, then
  // the run ends at 2:15:
  //   [0:00, 1:00): (8 x 30 + 4 x 30) / 60 = 6 GPUs
  //   [1:00, 2:00): (4 x 30 + 12 x 30) / 60 = 8 GPUs
  //   [2:15 end]:   [2:00, 2:15): 12 GPUs over its 15 minutes
  // The queue: 3 jobs asking 2.5 GPUs throughout the first stretch only: 1.5 jobs and 1.25 GPUs
  // on average in the first hour.
  SeriesRecorder rec(TwoNodes(), {"t"}, kHour, /*physics=*/false);
  const std::vector<std::int64_t> site8 = {8000, 0}, site4 = {0, 4000}, site12 = {8000, 4000};
  SeriesState first = Holding(8000, &site8);
  first.queue_jobs = 3;
  first.queue_milli = 2500;
  rec.Add(0, 30 * kMinute, first);
  rec.Add(30 * kMinute, 90 * kMinute, Holding(4000, &site4));
  rec.CountPreemption();  // at 1:30: the second interval
  rec.Add(90 * kMinute, 2 * kHour + 15 * kMinute, Holding(12'000, &site12));
  rec.CountInterruption(FailureCategory::kGpu);  // at 2:15, the end: the last interval
  const TimeSeries s = rec.Finish(2 * kHour + 15 * kMinute);
  ASSERT_EQ(s.size(), 3U);
  EXPECT_EQ(s.start, (std::vector<SimTime>{0, kHour, 2 * kHour}));
  EXPECT_EQ(s.Length(2), 15 * kMinute);
  EXPECT_EQ(s.gpus_busy, (std::vector<double>{6, 8, 12}));
  EXPECT_EQ(s.gpus_up, (std::vector<double>{16, 16, 16}));
  EXPECT_EQ(s.queue_jobs, (std::vector<double>{1.5, 0, 0}));
  EXPECT_EQ(s.queue_gpus, (std::vector<double>{1.25, 0, 0}));
  // Site 0: 8 GPUs for 30 min in hour 0 (4), none 0:30-1:30, 8 from 1:30 (4 in hour 1, 8 after).
  EXPECT_EQ(s.gpus_busy_by_site[0].values, (std::vector<double>{4, 4, 8}));
  EXPECT_EQ(s.gpus_busy_by_site[1].values, (std::vector<double>{2, 4, 4}));
  EXPECT_EQ(s.preemptions, (std::vector<std::int64_t>{0, 1, 0}));
  EXPECT_EQ(s.interruptions[static_cast<size_t>(FailureCategory::kGpu)],
            (std::vector<std::int64_t>{0, 0, 1}));
  EXPECT_EQ(s.interruptions[static_cast<size_t>(FailureCategory::kHost)],
            (std::vector<std::int64_t>{0, 0, 0}));
  EXPECT_TRUE(s.sites.empty()) << "no power without physics";
}

TEST(SeriesRecorder, ARunEndingOnABoundaryHasNoEmptyInterval) {
  // Two whole hours; a count at the very end belongs to the last one.
  SeriesRecorder rec(TwoNodes(), {}, kHour, false);
  rec.Add(0, 2 * kHour, Holding(1000, nullptr));
  rec.CountPreemption();
  const TimeSeries s = rec.Finish(2 * kHour);
  ASSERT_EQ(s.size(), 2U);
  EXPECT_EQ(s.Length(1), kHour);
  EXPECT_EQ(s.preemptions, (std::vector<std::int64_t>{0, 1}));
  // And a run of no time has no interval.
  SeriesRecorder none(TwoNodes(), {}, kHour, false);
  EXPECT_EQ(none.Finish(0).size(), 0U);
}

// A run with physics, random failures, preemptions and several tenants: the series' integrals
// are the report's totals (its own sums, split at interval boundaries: equal to rounding), and
// the breakdowns add up to the whole in every interval.
TEST(SeriesRecorder, TheSeriesIntegralsAreTheRunsTotals) {
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(2, 2, 4));
  std::string jobs = "tenants: [{name: a}, {name: b}, {name: c}]\njobs:\n";
  Rng rng(7);
  const char* tenants[] = {"a", "b", "c"};
  for (int i = 0; i < 120; ++i) {
    jobs += "  - {gpus: " + std::to_string(1 << rng.Below(5)) +
            ", duration: " + std::to_string(10 + rng.Below(591)) +
            "m, submit: " + std::to_string(rng.Below(3001)) +
            "m, priority: " + std::to_string(rng.Below(4)) + ", tenant: " + tenants[i % 3] + "}\n";
  }
  jobs += "failure_model: {rates: llama3, scale: 200}\n";
  SimOptions options;
  options.scheduler.policy = "priority";
  options.series_interval = 37 * kMinute;  // not a divisor of anything in the workload
  Simulator sim(fleet, BindWorkload(testing::MustParseWorkload(jobs), fleet, 3).value(), options);
  const SimResult r = sim.Run();
  ASSERT_TRUE(r.series);
  const TimeSeries& s = *r.series;
  ASSERT_GT(s.size(), 50U);
  EXPECT_EQ(s.end, r.end_time);
  auto integral = [&](const std::vector<double>& v) {
    long double sum = 0;
    for (size_t i = 0; i < v.size(); ++i) sum += static_cast<long double>(v[i]) * s.Length(i);
    return sum;
  };
  auto near = [](long double a, long double b) {
    return std::fabs(static_cast<double>(a - b)) <= 1e-9 * std::fabs(static_cast<double>(b));
  };
  EXPECT_TRUE(near(integral(s.gpus_busy) * 1000, r.allocated_gpu_milli_ms));
  EXPECT_TRUE(near(integral(s.gpus_up) * 1000, r.available_gpu_milli_ms));
  ASSERT_EQ(s.sites.size(), r.sites.size());
  for (size_t i = 0; i < s.sites.size(); ++i) {
    EXPECT_TRUE(near(integral(s.sites[i].it_power_w), r.sites[i].it_energy_wms)) << i;
    EXPECT_TRUE(near(integral(s.sites[i].facility_power_w), r.sites[i].facility_energy_wms)) << i;
  }
  std::int64_t preemptions = 0;
  for (const JobRecord& j : r.jobs) preemptions += j.preemptions;
  std::int64_t counted = 0;
  for (std::int64_t p : s.preemptions) counted += p;
  EXPECT_EQ(counted, preemptions);
  EXPECT_GT(preemptions, 0) << "the workload should preempt";
  std::int64_t interrupted = 0;
  for (size_t c = 0; c < s.interruptions.size(); ++c) {
    std::int64_t n = 0;
    for (std::int64_t x : s.interruptions[c]) n += x;
    EXPECT_EQ(n, r.failures[c].interruptions)
        << FailureCategoryName(static_cast<FailureCategory>(c));
    interrupted += n;
  }
  EXPECT_GT(interrupted, 0) << "the failure rate should interrupt jobs";
  for (size_t i = 0; i < s.size(); ++i) {
    for (const auto* by : {&s.gpus_busy_by_site, &s.gpus_busy_by_model, &s.gpus_busy_by_tenant}) {
      double sum = 0;
      for (const TimeSeries::Named& n : *by) sum += n.values[i];
      EXPECT_NEAR(sum, s.gpus_busy[i], 1e-9 * (1 + s.gpus_busy[i])) << i;
    }
    EXPECT_NEAR(s.nodes_up[i] + s.nodes_down[i], fleet.num_nodes(), 1e-9);
  }
  // Deterministic: the same run gives the same series, bit for bit.
  Simulator again(fleet, BindWorkload(testing::MustParseWorkload(jobs), fleet, 3).value(), options);
  const SimResult r2 = again.Run();
  ASSERT_TRUE(r2.series);
  EXPECT_EQ(r2.series->gpus_busy, s.gpus_busy);
  EXPECT_EQ(r2.series->sites[0].facility_power_w, s.sites[0].facility_power_w);
  // And recording it changes nothing else of the run.
  options.series_interval = 0;
  Simulator without(fleet, BindWorkload(testing::MustParseWorkload(jobs), fleet, 3).value(),
                    options);
  const SimResult r3 = without.Run();
  EXPECT_FALSE(r3.series);
  EXPECT_EQ(r3.allocated_gpu_milli_ms, r.allocated_gpu_milli_ms);
  EXPECT_EQ(r3.sites[0].facility_energy_wms, r.sites[0].facility_energy_wms);
  EXPECT_EQ(r3.end_time, r.end_time);
}

}  // namespace
}  // namespace gpufleet
