// The Pollux study's baselines against the authors' published results (skipped without
// ../shared/traces). Expected values: petuum/adaptdl, branch osdi21-artifact,
// simulator/results-jobload/<policy>-<load>/summary.json ("avgs": average JCT per workload,
// and every per-job JCT of one workload from "jcts"). Matching an average of N integer JCTs to
// every printed digit means matching their sum exactly.
#include "experiment/pollux.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iterator>

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
      SimTime sum = 0;
      for (SimTime jct : run.value().jct) sum += jct;
      const auto n = static_cast<double>(workload.jobs.size());
      EXPECT_EQ(sum, std::llround(p.avgs[w] * n) * kSecond)
          << p.policy << " " << p.folder << " " << workload.name << ": average "
          << run.value().average_jct_s << " s, published " << p.avgs[w] << " s";
    }
  }
}

// tiresias-1.0/summary.json, jcts.workload-2, in the file's (and the workload's) job order
// (seconds).
const std::int64_t kTiresiasWorkload2[] = {
    982,   90,   78,    535,   692,   105,   82,   51537, 117,   81,    69234, 898,  79,    914,
    123,   112,  832,   1518,  311,   1924,  1511, 432,   421,   138,   1428,  1031, 126,   97,
    14262, 987,  14156, 1364,  121,   603,   989,  666,   677,   985,   102,   699,  116,   134,
    4184,  119,  83,    946,   126,   989,   988,  103,   111,   949,   14177, 704,  975,   923,
    103,   98,   959,   14167, 96,    3572,  616,  134,   14154, 122,   82,    669,  93,    2527,
    3566,  114,  2751,  118,   14176, 2901,  107,  80,    79,    68331, 2401,  125,  4737,  2816,
    6073,  3679, 4548,  6109,  6079,  4855,  5399, 124,   7275,  5974,  6373,  6008, 9074,  2915,
    2811,  6723, 6377,  8799,  9825,  6855,  6844, 2337,  2295,  7023,  10070, 7223, 7306,  7961,
    10499, 8770, 934,   933,   7957,  10428, 9872, 9228,  9098,  9561,  12917, 9803, 11804, 465,
    285,   9570, 137,   10018, 130,   10152, 9604, 284,   9714,  8906,  9185,  9387, 756,   602,
    11351, 487,  6946,  2092,  20852, 8591,  8936, 8706,  9052,  1354,  7573,  1396, 8574,  1086,
    12120, 887,  766,   9994,  8012,  126,
};

TEST(PolluxStudy, EveryPublishedJctOfOneWorkload) {
  REQUIRE_POLLUX_DATA();
  Result<std::vector<PolluxWorkload>> workloads =
      LoadPolluxWorkloads(testing::PolluxDataDir() + "/workloads", apps);
  ASSERT_TRUE(workloads.ok()) << workloads.message();
  const PolluxWorkload& w2 = workloads.value()[1];
  ASSERT_EQ(w2.name, "workload-2");
  Result<PolluxRun> run = RunPolluxWorkload(w2, apps, RoundPolicyKind::kTiresias);
  ASSERT_TRUE(run.ok()) << run.message();
  ASSERT_EQ(run.value().jct.size(), std::size(kTiresiasWorkload2));
  for (size_t i = 0; i < w2.jobs.size(); ++i)
    EXPECT_EQ(run.value().jct[i], kTiresiasWorkload2[i] * kSecond) << w2.jobs[i].name;
}

}  // namespace
}  // namespace gpufleet
