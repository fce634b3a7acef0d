// Runs the jobs of one node as processes (POSIX only; no HTTP, so that it is testable alone).
//
// A job is `/bin/sh -c COMMAND` in a process group of its own, so that a stop reaches everything
// the job started (torchrun's workers, a pipeline's stages): SIGTERM to the group, SIGKILL to the
// group once the grace is over. When the shell ends, whatever it left in its group is killed too,
// so that nothing outlives its job on GPUs the scheduler gives to the next one.
//
// Each run has its own folder WORK/jobs/ID.EPOCH (its working directory, holding `stdout` and
// `stderr`). Starts are fenced by epoch: a start whose epoch is not above every epoch seen for its
// job (started or stopped) is refused, so a late, repeated or overtaken start never runs.
//
// Time is injected (the clock decides when a grace is over); the runner never sleeps. Poll() does
// the work: reaps exits and sends the SIGKILLs that are due. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace gpufleet::agent {

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

struct JobLaunch {
  std::int64_t id = 0;
  std::int64_t epoch = 0;
  std::string command;
  // Added to the agent's own environment (replacing a variable of the same name).
  std::map<std::string, std::string> env;
};

// How a run ended: exactly one of exit_code and signal.
struct JobExit {
  std::int64_t id = 0;
  std::int64_t epoch = 0;
  std::optional<int> exit_code;
  std::optional<int> signal;
};

struct RunningJob {
  std::int64_t id = 0;
  std::int64_t epoch = 0;
  pid_t pid = 0;  // also the process group's id
  bool stopping = false;
};

class JobRunner {
 public:
  explicit JobRunner(
      std::filesystem::path work_dir,
      SteadyClock clock = [] { return std::chrono::steady_clock::now(); });
  // Leaves running jobs alone: the owner decides (the agent stops them before it exits).
  ~JobRunner() = default;
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Starts a run. Refused with kAlreadyExists when the job runs (any epoch), kOutOfRange when the
  // epoch is not above the last one seen for the job, kUnavailable when the folder or the process
  // cannot be made (the message says why: "fork: ...").
  Status Start(const JobLaunch& launch);

  // SIGTERM to the run's group now, SIGKILL at Poll() once `grace` has passed. Refused with
  // kNotFound when the job does not run, kOutOfRange when a newer epoch of it runs (a stale stop).
  // A stop for an epoch newer than the one running stops it too (the server has moved on), and
  // the epoch is remembered, so that its start, arriving late, is refused.
  Status Stop(std::int64_t id, std::int64_t epoch, std::chrono::milliseconds grace);

  // Stops every run (shutdown).
  void StopAll(std::chrono::milliseconds grace);

  // Reaps runs that ended (a shell that ended has its group killed first) and sends due SIGKILLs.
  std::vector<JobExit> Poll();

  std::vector<RunningJob> Running() const;
  bool IsRunning(std::int64_t id) const { return running_.count(id) != 0; }
  // The run's folder.
  std::filesystem::path RunDir(std::int64_t id, std::int64_t epoch) const;

 private:
  struct Run {
    std::int64_t epoch = 0;
    pid_t pid = 0;
    bool stopping = false;
    std::optional<std::chrono::steady_clock::time_point> kill_at;
  };

  std::filesystem::path work_dir_;
  SteadyClock clock_;
  std::map<std::int64_t, Run> running_;
  std::map<std::int64_t, std::int64_t> last_epoch_;
};

// "exit code 3", "signal 9 (Killed)".
std::string DescribeExit(const JobExit& exit);

}  // namespace gpufleet::agent
