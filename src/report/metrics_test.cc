#include "report/metrics.h"

#include <gtest/gtest.h>

namespace gpufleet {
namespace {

TEST(Metrics, NearestRankPercentiles) {
  // 1..100: p50 is the 50th value (50), p95 the 95th, p99 the 99th; mean 50.5.
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  const Distribution4 d = SummarizeSample(v);
  EXPECT_EQ(d.p50, 50);
  EXPECT_EQ(d.p95, 95);
  EXPECT_EQ(d.p99, 99);
  EXPECT_EQ(d.max, 100);
  EXPECT_DOUBLE_EQ(d.mean, 50.5);
  // Three values: ranks ceil(1.5) = 2, ceil(2.85) = 3, ceil(2.97) = 3.
  const Distribution4 e = SummarizeSample({10, 30, 20});
  EXPECT_EQ(e.p50, 20);
  EXPECT_EQ(e.p95, 30);
  EXPECT_EQ(SummarizeSample({}).count, 0);
}

TEST(Metrics, UtilizationAndQueueFromRecords) {
  // Two jobs on a 16-GPU fleet over a 100 s makespan:
  //  a: 8 GPUs, submitted 0, ran 0-50 s           -> JCT 50, queue 0,  400 GPU-s
  //  b: 16 GPUs, submitted 10, ran 50-100 s        -> JCT 90, queue 40, 800 GPU-s
  // utilization = 1,200 / (16 x 100) = 0.75.
  SimResult r;
  r.tenants = {Tenant{"t", 1, std::nullopt}};
  r.total_gpus = 16;
  JobRecord a;
  a.spec.gpus = 8;
  a.state = JobRecord::State::kCompleted;
  a.first_start = 0;
  a.end = 50'000;
  a.run_ms = 50'000;
  a.gpu_milli_ms = 400'000'000;  // 8 GPUs x 1000 milli x 50 s
  JobRecord b = a;
  b.spec.gpus = 16;
  b.spec.submit = 10'000;
  b.first_start = 50'000;
  b.end = 100'000;
  b.gpu_milli_ms = 800'000'000;
  r.jobs = {a, b};
  r.allocated_gpu_milli_ms = 1'200'000'000;
  r.available_gpu_milli_ms = 1'600'000'000;
  r.end_time = 100'000;
  const Metrics m = ComputeMetrics(r, RunInfo{});
  EXPECT_EQ(m.completed, 2);
  EXPECT_DOUBLE_EQ(m.utilization, 0.75);
  EXPECT_DOUBLE_EQ(m.jct_s.mean, 70);
  EXPECT_DOUBLE_EQ(m.queue_s.max, 40);
  EXPECT_DOUBLE_EQ(m.makespan_s, 100);
  EXPECT_NEAR(m.tenants[0].gpu_hours, 1'200.0 / 3600, 1e-12);
  EXPECT_FALSE(m.distributions) << "only with the time series";
  // With one, the distributions: a is 8 GPUs (size class 2-8), b 16 (9-64). Of JCTs {50, 90},
  // percentile q is the value at rank ceil(q/100 x 2): 50 up to p50, 90 from p51.
  r.series = TimeSeries{};
  const Metrics d = ComputeMetrics(r, RunInfo{});
  ASSERT_TRUE(d.distributions);
  const Distributions& dist = *d.distributions;
  EXPECT_EQ(dist.jct_all.count, 2);
  ASSERT_EQ(dist.jct_all.p.size(), 101U);
  EXPECT_EQ(dist.jct_all.p[0], 50);
  EXPECT_EQ(dist.jct_all.p[50], 50);
  EXPECT_EQ(dist.jct_all.p[51], 90);
  EXPECT_EQ(dist.jct_all.p[100], 90);
  EXPECT_EQ(dist.queue_all.p[100], 40);
  ASSERT_EQ(dist.jct_by_size.size(), 5U);
  EXPECT_EQ(dist.jct_by_size[1].name, "2-8");
  EXPECT_EQ(dist.jct_by_size[1].p, std::vector<double>(101, 50));
  EXPECT_EQ(dist.jct_by_size[2].name, "9-64");
  EXPECT_EQ(dist.jct_by_size[2].p, std::vector<double>(101, 90));
  EXPECT_EQ(dist.jct_by_size[0].count, 0);
  EXPECT_TRUE(dist.jct_by_size[0].p.empty());
  ASSERT_EQ(dist.jct_by_tenant.size(), 1U);
  EXPECT_EQ(dist.jct_by_tenant[0].name, "t");
}

TEST(Metrics, PercentilesAreNearestRankFromTheMinimum) {
  // 1..10: percentile q is the value at rank max(1, ceil(q/10)): p0 = p10 = 1, p11 = 2, p100 = 10.
  std::vector<double> v;
  for (int i = 10; i >= 1; --i) v.push_back(i);
  const std::vector<double> p = Percentiles(v);
  ASSERT_EQ(p.size(), 101U);
  EXPECT_EQ(p[0], 1);
  EXPECT_EQ(p[10], 1);
  EXPECT_EQ(p[11], 2);
  EXPECT_EQ(p[50], 5);
  EXPECT_EQ(p[100], 10);
  EXPECT_TRUE(Percentiles({}).empty());
}

}  // namespace
}  // namespace gpufleet
