#include "cli/job_table.h"

#include <gtest/gtest.h>

namespace gpufleet::cli {
namespace {

TEST(JobTable, ColumnsAlignAndTheLastSaysReasonNodesOrExit) {
  std::vector<JobRow> jobs(3);
  jobs[0] = {17,
             "pretrain-7b",
             "research",
             "pending",
             64,
             "2026-12-05T16:00:00.000Z",
             "needs 64 GPUs in one pod; the largest free pod has 40",
             {},
             std::nullopt,
             "2026-12-05T18:00:00.000Z"};
  jobs[1] = {9,
             "eval",
             "prod",
             "running",
             8,
             "2026-12-05T15:59:01.250Z",
             "",
             {"a/p0/n0", "a/p0/n1"},
             std::nullopt,
             "2026-12-05T15:59:02.000Z"};
  jobs[2] = {3, "x", "prod", "failed", 1, "2026-12-05T15:00:00.000Z", "", {}, 3, ""};
  EXPECT_EQ(FormatJobTable(jobs),
            "ID  NAME         TENANT    STATE    GPUS  SUBMITTED            START                "
            "REASON/NODES\n"
            "17  pretrain-7b  research  pending  64    2026-12-05 16:00:00  2026-12-05 18:00:00  "
            "needs 64 GPUs in one pod; the largest free pod has 40\n"
            "9   eval         prod      running  8     2026-12-05 15:59:01  2026-12-05 15:59:02  "
            "a/p0/n0,a/p0/n1\n"
            "3   x            prod      failed   1     2026-12-05 15:00:00  -                    "
            "exit 3\n");
}

TEST(JobTable, EmptyListIsTheHeader) {
  EXPECT_EQ(FormatJobTable({}), "ID  NAME  TENANT  STATE  GPUS  SUBMITTED  START  REASON/NODES\n");
}

TEST(JobTable, ShortTime) {
  EXPECT_EQ(ShortTime("2026-12-05T16:00:00.000Z"), "2026-12-05 16:00:00");
  EXPECT_EQ(ShortTime("yesterday"), "yesterday");
  EXPECT_EQ(FormatTable({{"A", "B"}, {"long", ""}}), "A     B\nlong\n");
}

}  // namespace
}  // namespace gpufleet::cli
