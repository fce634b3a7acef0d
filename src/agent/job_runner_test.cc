#include "agent/job_runner.h"

#include <gtest/gtest.h>
#include <sys/types.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "temp_dir.h"

namespace gpufleet::agent {
namespace {

using gpufleet::testing::ScratchDir;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Real processes on a loaded machine: wait for a condition with a generous deadline, never a
// fixed sleep.
template <typename Done>
bool PollUntil(Done done, std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return done();
}

// Polls `runner` until job `id` has ended and returns its exit.
std::optional<JobExit> WaitForExit(JobRunner& runner, std::int64_t id) {
  std::optional<JobExit> found;
  PollUntil([&] {
    for (const JobExit& e : runner.Poll())
      if (e.id == id) found = e;
    return found.has_value();
  });
  return found;
}

// A process is gone when it no longer exists or is a zombie nobody reaped yet.
bool ProcessGone(pid_t pid) {
  const std::string stat = Slurp("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  const size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

class FakeClock {
 public:
  std::chrono::steady_clock::time_point now{};
  SteadyClock AsClock() {
    return [this] { return now; };
  }
};

TEST(JobRunner, RunsUnderShellWithExtraEnvInItsFolder) {
  ScratchDir dir;
  JobRunner runner(dir.Path("work"));
  ASSERT_TRUE(runner
                  .Start({7,
                          1,
                          "echo $CUDA_VISIBLE_DEVICES > out; echo hello; echo oops >&2",
                          {{"CUDA_VISIBLE_DEVICES", "0,1,2,3"}}})
                  .ok());
  EXPECT_TRUE(runner.IsRunning(7));
  const std::optional<JobExit> exit = WaitForExit(runner, 7);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->epoch, 1);
  EXPECT_EQ(exit->exit_code, 0);
  const std::filesystem::path run = runner.RunDir(7, 1);
  EXPECT_EQ(run, std::filesystem::path(dir.Path("work")) / "jobs" / "7.1");
  EXPECT_EQ(Slurp(run / "out"), "0,1,2,3\n");
  EXPECT_EQ(Slurp(run / "stdout"), "hello\n");
  EXPECT_EQ(Slurp(run / "stderr"), "oops\n");
  EXPECT_FALSE(runner.IsRunning(7));
}

TEST(JobRunner, ReportsExitCode) {
  ScratchDir dir;
  JobRunner runner(dir.Path("work"));
  ASSERT_TRUE(runner.Start({3, 1, "exit 3", {}}).ok());
  const std::optional<JobExit> exit = WaitForExit(runner, 3);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_FALSE(exit->signal.has_value());
  EXPECT_EQ(DescribeExit(*exit), "exit code 3");
}

TEST(JobRunner, StopSendsTermToAJobThatTrapsIt) {
  ScratchDir dir;
  FakeClock clock;
  JobRunner runner(dir.Path("work"), clock.AsClock());
  ASSERT_TRUE(runner
                  .Start({1,
                          1,
                          "trap 'echo term > term; exit 0' TERM; touch ready; "
                          "while true; do sleep 0.05; done",
                          {}})
                  .ok());
  const std::filesystem::path run = runner.RunDir(1, 1);
  ASSERT_TRUE(PollUntil([&] { return std::filesystem::exists(run / "ready"); }));
  ASSERT_TRUE(runner.Stop(1, 1, seconds(30)).ok());
  EXPECT_TRUE(runner.Running().at(0).stopping);
  const std::optional<JobExit> exit = WaitForExit(runner, 1);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_EQ(Slurp(run / "term"), "term\n");
}

TEST(JobRunner, KillsAJobThatIgnoresTermOnceTheGraceIsOver) {
  ScratchDir dir;
  FakeClock clock;
  JobRunner runner(dir.Path("work"), clock.AsClock());
  ASSERT_TRUE(
      runner.Start({2, 5, "trap '' TERM; touch ready; while true; do sleep 0.05; done", {}}).ok());
  const std::filesystem::path run = runner.RunDir(2, 5);
  ASSERT_TRUE(PollUntil([&] { return std::filesystem::exists(run / "ready"); }));
  ASSERT_TRUE(runner.Stop(2, 5, seconds(10)).ok());
  // Within the grace the job survives the TERM, however often it is polled.
  clock.now += seconds(9);
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(runner.Poll().empty());
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_TRUE(runner.IsRunning(2));
  clock.now += seconds(1);
  const std::optional<JobExit> exit = WaitForExit(runner, 2);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->signal, SIGKILL);
  EXPECT_FALSE(exit->exit_code.has_value());
}

TEST(JobRunner, StopReachesTheJobsChildren) {
  ScratchDir dir;
  JobRunner runner(dir.Path("work"));
  ASSERT_TRUE(
      runner.Start({4, 1, "sleep 1000 & echo $! > child.tmp; mv child.tmp child; wait", {}}).ok());
  const std::filesystem::path child_file = runner.RunDir(4, 1) / "child";
  ASSERT_TRUE(PollUntil([&] { return std::filesystem::exists(child_file); }));
  const pid_t child = static_cast<pid_t>(std::stol(Slurp(child_file)));
  EXPECT_FALSE(ProcessGone(child));
  ASSERT_TRUE(runner.Stop(4, 1, seconds(30)).ok());
  ASSERT_TRUE(WaitForExit(runner, 4).has_value());
  EXPECT_TRUE(PollUntil([&] { return ProcessGone(child); }));
}

TEST(JobRunner, KillsWhatAJobLeftBehindWhenItsShellEnds) {
  ScratchDir dir;
  JobRunner runner(dir.Path("work"));
  ASSERT_TRUE(
      runner.Start({5, 1, "sleep 1000 & echo $! > child.tmp; mv child.tmp child", {}}).ok());
  const std::optional<JobExit> exit = WaitForExit(runner, 5);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 0);
  const pid_t child = static_cast<pid_t>(std::stol(Slurp(runner.RunDir(5, 1) / "child")));
  EXPECT_TRUE(PollUntil([&] { return ProcessGone(child); }));
}

TEST(JobRunner, EpochFencing) {
  ScratchDir dir;
  JobRunner runner(dir.Path("work"));
  ASSERT_TRUE(runner.Start({9, 2, "exit 0", {}}).ok());
  // The same job again while it runs.
  Status again = runner.Start({9, 3, "exit 0", {}});
  EXPECT_EQ(again.code(), ErrorCode::kAlreadyExists);
  ASSERT_TRUE(WaitForExit(runner, 9).has_value());
  // Once it ended: a start of an epoch seen (or older) is refused, a newer one runs.
  Status stale = runner.Start({9, 2, "exit 0", {}});
  EXPECT_EQ(stale.code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(stale.message(),
            "job 9 epoch 2: refused, epoch 2 of this job was seen already (a late or repeated "
            "start)");
  EXPECT_EQ(runner.Start({9, 1, "exit 0", {}}).code(), ErrorCode::kOutOfRange);
  EXPECT_TRUE(runner.Start({9, 4, "exit 0", {}}).ok());
  ASSERT_TRUE(WaitForExit(runner, 9).has_value());
  // A stop that overtook its start fences that start.
  EXPECT_EQ(runner.Stop(9, 6, seconds(1)).code(), ErrorCode::kNotFound);
  EXPECT_EQ(runner.Start({9, 6, "exit 0", {}}).code(), ErrorCode::kOutOfRange);
  EXPECT_FALSE(runner.IsRunning(9));
}

TEST(JobRunner, StaleStopIsRefusedAndTheRunGoesOn) {
  ScratchDir dir;
  JobRunner runner(dir.Path("work"));
  ASSERT_TRUE(runner.Start({8, 3, "touch ready; while true; do sleep 0.05; done", {}}).ok());
  EXPECT_EQ(runner.Stop(8, 2, seconds(1)).code(), ErrorCode::kOutOfRange);
  EXPECT_FALSE(runner.Running().at(0).stopping);
  runner.StopAll(milliseconds(0));
  const std::optional<JobExit> exit = WaitForExit(runner, 8);
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(exit->signal == SIGTERM || exit->signal == SIGKILL) << DescribeExit(*exit);
}

}  // namespace
}  // namespace gpufleet::agent
