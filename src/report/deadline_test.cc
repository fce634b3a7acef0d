// Job deadlines: read from the workload spec (jobs and generators), counted by the report.
#include <gtest/gtest.h>

#include "report/metrics.h"
#include "spec/spec_test_support.h"
#include "spec/specs.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

using spec_test::IsError;
using spec_test::W;

constexpr const char* kOneDgx =
    "sites:\n"
    "  - {name: s, power_budget_mw: 1, domains: [{name: d, node_type: dgx-h100}]}\n";

TEST(Deadlines, AreCountedMetMissedOrOpenAtTheRunsEnd) {
  // One DGX (8 GPUs), first come first served, stopped at 4h30m:
  //   a  0h-2h, deadline 3h           -> met
  //   b  2h-4h, deadline 3h after 0   -> missed (done an hour late)
  //   c  4h-5h, deadline 100h         -> open (running at 4h30m, its deadline after the end)
  //   d  waits, deadline 3h30m        -> missed (not done at 4h30m, past its deadline)
  //   e  no deadline                  -> not counted
  const Fleet fleet = testing::MustParseFleet(kOneDgx);
  const SimResult r = testing::RunUntil(fleet,
                                        "jobs:\n"
                                        "  - {name: a, gpus: 8, duration: 2h, deadline: 3h}\n"
                                        "  - {name: b, gpus: 8, duration: 2h, deadline_after: 3h}\n"
                                        "  - {name: c, gpus: 8, duration: 1h, deadline: 100h}\n"
                                        "  - {name: d, gpus: 8, duration: 1h, deadline: 3h30m}\n"
                                        "  - {name: e, gpus: 8, duration: 1h}\n",
                                        4 * kHour + 30 * kMinute);
  ASSERT_EQ(r.jobs.size(), 5u);
  EXPECT_EQ(r.jobs[1].end, 4 * kHour);
  const Metrics m = ComputeMetrics(r, RunInfo{});
  ASSERT_TRUE(m.deadlines);
  EXPECT_EQ(m.deadlines->jobs, 4);
  EXPECT_EQ(m.deadlines->met, 1);
  EXPECT_EQ(m.deadlines->missed, 2);
  EXPECT_EQ(m.deadlines->open, 1);
}

TEST(Deadlines, AJobThatCanNeverRunMissesItsDeadlineWhenTheRunEndsEarly) {
  // The DGX fails for good at 1h; a job arriving at 2h can never run, and the run ends there
  // (no --until): its deadline at 100h is missed, not open - no later end of the run would meet
  // it.
  const Fleet fleet = testing::MustParseFleet(kOneDgx);
  const SimResult r = testing::RunUntil(fleet,
                                        "jobs:\n"
                                        "  - {name: late, submit: 2h, gpus: 8, duration: 1h, "
                                        "deadline: 100h}\n"
                                        "failures:\n"
                                        "  - {at: 1h, target: s}\n");
  ASSERT_FALSE(r.stopped_at_until);
  const Metrics m = ComputeMetrics(r, RunInfo{});
  ASSERT_TRUE(m.deadlines);
  EXPECT_EQ(m.deadlines->missed, 1);
  EXPECT_EQ(m.deadlines->open, 0);
}

TEST(Deadlines, WithoutAnyTheReportHasNone) {
  const Fleet fleet = testing::MustParseFleet(kOneDgx);
  const SimResult r = testing::RunUntil(fleet, "jobs: [{gpus: 8, duration: 1h}]\n");
  EXPECT_FALSE(ComputeMetrics(r, RunInfo{}).deadlines);
}

TEST(Deadlines, AGeneratorGivesEachJobItsDeadlineAfterItsSubmission) {
  Result<WorkloadSpec> spec =
      W("generators:\n"
        "  - {name: g, count: 3, arrivals: {process: uniform, mean_interarrival: 1h}, gpus: 1, "
        "duration: 30m, deadline_after: 2h}\n");
  ASSERT_TRUE(spec.ok()) << spec.message();
  Result<BoundWorkload> bound =
      BindWorkload(spec.value(), testing::MustParseFleet(kOneDgx), /*seed=*/1);
  ASSERT_TRUE(bound.ok()) << bound.message();
  JobSpec job;
  for (int k = 0; k < 3; ++k) {
    ASSERT_TRUE(bound.value().source->Next(job));
    EXPECT_EQ(job.deadline, job.submit + 2 * kHour) << k;
  }
}

TEST(Deadlines, SpecErrorsNameTheField) {
  EXPECT_TRUE(IsError(W("jobs: [{gpus: 1, duration: 1h, submit: 2h, deadline: 2h}]\n"), "w.yaml:1:",
                      "jobs[0].deadline", "a deadline at or before it can never be met"));
  EXPECT_TRUE(IsError(W("jobs: [{gpus: 1, duration: 1h, deadline: 5h, deadline_after: 2h}]\n"),
                      "w.yaml:1:", "jobs[0].deadline_after", "not both"));
  EXPECT_TRUE(IsError(W("jobs: [{gpus: 1, duration: 1h, deadline_after: 0}]\n"),
                      "w.yaml:1:", "jobs[0].deadline_after", "positive duration"));
  EXPECT_TRUE(
      IsError(W("generators: [{count: 1, arrivals: {rate_per_hour: 1}, gpus: 1, duration: 1h, "
                "deadline_after: soon}]\n"),
              "w.yaml:1:", "generators[0].deadline_after", "expected a duration"));
  Result<JobRequestSpec> request = ParseJobRequest(
      R"({"gpus": 1, "estimate": "1h", "command": "true", "deadline": "2h"})", "request");
  EXPECT_TRUE(IsError(request, "request:1:", "deadline", "the control plane keeps no deadlines"));
}

}  // namespace
}  // namespace gpufleet
