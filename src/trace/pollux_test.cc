// Reading the Pollux study's files: a small hand-written application, and every kind of bad
// input answered by a message naming file, line, field and what was expected.
#include "trace/pollux.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace gpufleet {
namespace {

using testing::ScratchDir;

// An application "toy" with batch sizes 8 and 16, two epochs, placements 1 and 2.
void WriteToy(const ScratchDir& dir) {
  dir.Write("toy/validation-8.csv",
            "progress,iteration,metric,grad_sqr,grad_var\n10,10,0.5,1,2\n20,20,0.6,1,1\n");
  dir.Write("toy/validation-16.csv",
            "progress,iteration,metric,grad_sqr,grad_var\n11,5,0.5,1,2\n19,10,0.6,1,1\n");
  dir.Write("toy/placements.csv",
            "placement,local_bsz,step_time,sync_time\n1,4,0.1,0\n1,16,0.3,0\n2,2,0.2,0.1\n2,"
            "8,0.4,0.1\n");
}

TEST(PolluxData, LoadsAnApplication) {
  ScratchDir dir;
  WriteToy(dir);
  Result<Application> app = LoadApplication(dir.Path("toy"), "toy", {2, 0, 0});
  ASSERT_TRUE(app.ok()) << app.message();
  EXPECT_EQ(app.value().init_batch_size, 8);
  EXPECT_EQ(app.value().max_batch_size, 16);
  EXPECT_EQ(app.value().min_local_bsz, 2);
  EXPECT_EQ(app.value().max_local_bsz, 16);
  // Epoch boundaries: min over batch sizes of 10/11 and 20/19.
  EXPECT_EQ(app.value().epoch_progress, (std::vector<double>{0, 10, 19}));
  EXPECT_EQ(app.value().placements.size(), 2u);
}

TEST(PolluxData, BadProfilesNameFileLineAndField) {
  ScratchDir dir;
  WriteToy(dir);
  dir.Write("toy/placements.csv",
            "placement,local_bsz,step_time,sync_time\n1,4,0.1,0\n1,x,0.3,0\n");
  Result<Application> app = LoadApplication(dir.Path("toy"), "toy", {2, 0, 0});
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.message(), dir.Path("toy/placements.csv") +
                               ":3:3: field 'local_bsz': expected an integer, got 'x'");

  dir.Write("toy/placements.csv", "placement,local_bsz,step_time,sync_time\n1a,4,0.1,0\n");
  app = LoadApplication(dir.Path("toy"), "toy", {2, 0, 0});
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.message(), dir.Path("toy/placements.csv") +
                               ":2:1: field 'placement': expected GPUs per node as digits 1-9 "
                               "(e.g. 1344), got '1a'");

  WriteToy(dir);
  dir.Write("toy/validation-16.csv", "progress,iteration,grad_sqr,grad_var\n11,5,1,-2\n");
  app = LoadApplication(dir.Path("toy"), "toy", {2, 0, 0});
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.message(), dir.Path("toy/validation-16.csv") +
                               ":2:8: field 'grad_var': expected a non-negative number, got -2");

  dir.Write("toy/validation-16.csv", "progress,iteration,grad_sqr,grad_var\n11,5,1,2\n");
  app = LoadApplication(dir.Path("toy"), "toy", {2, 0, 0});
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.message(), dir.Path("toy/validation-16.csv") +
                               ": expected at least 2 epoch rows (toy trains for 2 epochs), got 1");

  dir.Write("toy/validation-16.csv", "progress,iter,grad_sqr,grad_var\n11,5,1,2\n");
  app = LoadApplication(dir.Path("toy"), "toy", {2, 0, 0});
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.message(), dir.Path("toy/validation-16.csv") +
                               ":1:1: expected a column named 'iteration' in the header; it has: "
                               "progress,iter,grad_sqr,grad_var");

  EXPECT_FALSE(LoadApplication(dir.Path("none"), "none", {2, 0, 0}).ok());
}

TEST(PolluxData, BadWorkloadRowsNameFileLineAndField) {
  ScratchDir dir;
  WriteToy(dir);
  PolluxApplications apps;
  apps.emplace("toy", LoadApplication(dir.Path("toy"), "toy", {2, 0, 0}).value());
  const std::string header = "name,time,application,num_replicas,batch_size\n";
  struct Case {
    std::string row, message;
  };
  const Case cases[] = {
      {"toy-0,10,toy,2,8\ntoy-0,11,toy,2,8\n",
       ":3:1: field 'name': expected unique job names; 'toy-0' is repeated"},
      {"toy-0,ten,toy,2,8\n", ":2:7: field 'time': expected an integer, got 'ten'"},
      {"toy-0,-5,toy,2,8\n",
       ":2:7: field 'time': expected a submission time in seconds from 0, got -5"},
      {"toy-0,10,bert,2,8\n", ":2:10: field 'application': expected one of toy, got 'bert'"},
      {"toy-0,10,toy,0,8\n", ":2:14: field 'num_replicas': expected a positive GPU count, got 0"},
      {"toy-0,10,toy,2,32\n",
       ":2:16: field 'batch_size': expected a batch size toy has statistics for (8 to 16), got 32"},
      {"toy-0,10,toy,2\n", ":2:15: field 'batch_size': missing: the row has 4 fields"},
  };
  for (const Case& c : cases) {
    const std::string path = dir.Write("w.csv", header + c.row);
    Result<std::vector<PolluxJob>> jobs = LoadPolluxWorkload(path, apps);
    ASSERT_FALSE(jobs.ok()) << c.row;
    EXPECT_EQ(jobs.message(), path + c.message);
  }
  const std::string good = dir.Write("w.csv", header + "toy-0,10,toy,2,8\ntoy-1,12,toy,1,16\n");
  Result<std::vector<PolluxJob>> jobs = LoadPolluxWorkload(good, apps);
  ASSERT_TRUE(jobs.ok()) << jobs.message();
  ASSERT_EQ(jobs.value().size(), 2u);
  EXPECT_EQ(jobs.value()[1].name, "toy-1");
  EXPECT_EQ(jobs.value()[1].submit, 12 * kSecond);
  EXPECT_EQ(jobs.value()[1].batch_size, 16);
}

}  // namespace
}  // namespace gpufleet
