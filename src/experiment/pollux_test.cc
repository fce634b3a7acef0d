// The Pollux study's baselines against the authors' published results (skipped without
// ../shared/traces). Expected values: petuum/adaptdl, branch osdi21-artifact,
// simulator/results-jobload/<policy>-<load>/summary.json ("avgs": average JCT per workload,
// and a few per-job JCTs from "jcts"). Matching an average of N integer JCTs to every printed
// digit means matching their sum exactly.
#include "experiment/pollux.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "pollux_data.h"

namespace gpufleet {
namespace {

struct Published {
  const char* policy;
  const char* folder;
  double avgs[8];  // workload-1 .. workload-8
};

// Copied from the summary.json files named above (their "avgs", reordered by workload number).
const Published kPublished[] = {
    {"tiresias",
     "workloads-0.5",
     {1450.9375, 2333.275, 1869.9, 1946.7625, 1425.3875, 1826.575, 3979.15, 1899.95}},
    {"tiresias",
     "workloads",
     {2473.65, 5144.9625, 3876.25625, 3280.2625, 3501.0125, 3469.69375, 5479.9125, 5079.70625}},
    {"tiresias",
     "workloads-1.5",
     {5520.291666666667, 6333.770833333333, 6561.979166666667, 5577.320833333333, 6832.420833333334,
      5830.483333333334, 5366.783333333334, 7435.75}},
    {"tiresias",
     "workloads-2.0",
     {10138.175, 8655.990625, 10727.81875, 9664.728125, 12098.103125, 10254.66875, 8370.846875,
      10405.80625}},
    {"optimus",
     "workloads-0.5",
     {1309.6875, 3124.5625, 1986.8375, 2173.8625, 1324.525, 1957.9625, 5314.0, 1971.475}},
    {"optimus",
     "workloads",
     {4087.0625, 6913.875, 3944.00625, 5967.75, 5656.25, 5301.875, 7290.85625, 6293.79375}},
    {"optimus",
     "workloads-1.5",
     {7673.841666666666, 6678.1875, 5683.625, 7683.791666666667, 7899.725, 7500.254166666667,
      6426.183333333333, 8331.3}},
    {"optimus",
     "workloads-2.0",
     {10806.596875, 8515.3875, 8363.35625, 10312.9125, 11830.04375, 9767.25625, 6997.96875,
      11174.79375}},
};

TEST(PolluxStudy, EveryPublishedAverageJctIsReproducedExactly) {
  REQUIRE_POLLUX_DATA();
  for (const Published& p : kPublished) {
    Result<std::vector<PolluxWorkload>> workloads =
        LoadPolluxWorkloads(testing::PolluxDataDir() + "/" + p.folder, apps);
    ASSERT_TRUE(workloads.ok()) << workloads.message();
    ASSERT_EQ(workloads.value().size(), 8u);
    for (size_t w = 0; w < 8; ++w) {
      const PolluxWorkload& workload = workloads.value()[w];
      Result<PolluxRun> run = RunPolluxWorkload(workload, apps, *ParseRoundPolicy(p.policy));
      ASSERT_TRUE(run.ok()) << run.message();
      std::int64_t sum = 0;
      for (std::int64_t jct : run.value().jct_s) sum += jct;
      const auto n = static_cast<double>(workload.jobs.size());
      EXPECT_EQ(sum, std::llround(p.avgs[w] * n))
          << p.policy << " " << p.folder << " " << workload.name << ": average "
          << run.value().average_jct_s << " s, published " << p.avgs[w] << " s";
    }
  }
}

TEST(PolluxStudy, PublishedPerJobCompletionTimes) {
  REQUIRE_POLLUX_DATA();
  Result<std::vector<PolluxWorkload>> workloads =
      LoadPolluxWorkloads(testing::PolluxDataDir() + "/workloads", apps);
  ASSERT_TRUE(workloads.ok()) << workloads.message();
  const PolluxWorkload& w2 = workloads.value()[1];
  ASSERT_EQ(w2.name, "workload-2");
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < w2.jobs.size(); ++i) index[w2.jobs[i].name] = i;
  // tiresias-1.0/summary.json, jcts.workload-2.
  Result<PolluxRun> tiresias = RunPolluxWorkload(w2, apps, RoundPolicyKind::kTiresias);
  ASSERT_TRUE(tiresias.ok()) << tiresias.message();
  const std::map<std::string, std::int64_t> expected = {
      {"cifar10-0", 982},     {"ncf-1", 90},         {"imagenet-7", 51537},
      {"imagenet-10", 69234}, {"yolov3-144", 20852}, {"deepspeech2-122", 12917},
      {"bert-131", 10152},    {"cifar10-158", 8012}, {"ncf-159", 126},
  };
  for (const auto& [name, jct] : expected)
    EXPECT_EQ(tiresias.value().jct_s[index.at(name)], jct) << name;
}

}  // namespace
}  // namespace gpufleet
