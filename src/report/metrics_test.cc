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
}

}  // namespace
}  // namespace gpufleet
