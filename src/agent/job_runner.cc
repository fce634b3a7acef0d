#include "agent/job_runner.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

extern char** environ;

namespace gpufleet::agent {
namespace {

std::string Errno(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

// The agent's environment with `extra` added (an extra variable replaces the agent's own).
std::vector<std::string> JobEnvironment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** p = environ; p != nullptr && *p != nullptr; ++p) {
    const std::string_view entry(*p);
    const std::string name(entry.substr(0, entry.find('=')));
    if (extra.count(name) == 0) env.emplace_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

// posix_spawn's file actions and attributes, released on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

JobRunner::JobRunner(std::filesystem::path work_dir, SteadyClock clock)
    : work_dir_(std::move(work_dir)), clock_(std::move(clock)) {}

std::filesystem::path JobRunner::RunDir(std::int64_t id, std::int64_t epoch) const {
  return work_dir_ / "jobs" / (std::to_string(id) + "." + std::to_string(epoch));
}

Status JobRunner::Start(const JobLaunch& launch) {
  const std::string job =
      "job " + std::to_string(launch.id) + " epoch " + std::to_string(launch.epoch);
  if (auto run = running_.find(launch.id); run != running_.end())
    return Error{job + ": already running (epoch " + std::to_string(run->second.epoch) + ")",
                 ErrorCode::kAlreadyExists};
  if (auto seen = last_epoch_.find(launch.id);
      seen != last_epoch_.end() && launch.epoch <= seen->second)
    return Error{job + ": refused, epoch " + std::to_string(seen->second) +
                     " of this job was seen already (a late or repeated start)",
                 ErrorCode::kOutOfRange};
  last_epoch_[launch.id] = launch.epoch;
  if (launch.command.find('\0') != std::string::npos)
    return Error{job + ": the command holds a NUL byte", ErrorCode::kInvalidArgument};

  const std::filesystem::path dir = RunDir(launch.id, launch.epoch);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Error{job + ": cannot make " + dir.string() + ": " + ec.message(),
                 ErrorCode::kUnavailable};

  SpawnSetup setup;
  const std::string out = (dir / "stdout").string();
  const std::string err = (dir / "stderr").string();
  const std::string cwd = dir.string();
  int rc = posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0)
    rc = posix_spawn_file_actions_addopen(&setup.actions, 1, out.c_str(),
                                          O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (rc == 0)
    rc = posix_spawn_file_actions_addopen(&setup.actions, 2, err.c_str(),
                                          O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // The agent's own descriptors (its connection to the server) are not the job's business.
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
  if (rc == 0) rc = posix_spawn_file_actions_addchdir_np(&setup.actions, cwd.c_str());
  // Its own process group (pgid = its pid), and default signal handling whatever the agent set.
  sigset_t all;
  sigfillset(&all);
  sigset_t none;
  sigemptyset(&none);
  if (rc == 0) rc = posix_spawnattr_setpgroup(&setup.attr, 0);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&setup.attr, &all);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&setup.attr, &none);
  if (rc == 0)
    rc = posix_spawnattr_setflags(
        &setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  if (rc != 0) return Error{job + ": " + Errno("posix_spawn setup", rc), ErrorCode::kUnavailable};

  std::vector<std::string> env = JobEnvironment(launch.env);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh";
  std::string dash_c = "-c";
  std::string command = launch.command;
  char* argv[] = {sh.data(), dash_c.data(), command.data(), nullptr};
  pid_t pid = 0;
  rc = posix_spawn(&pid, sh.c_str(), &setup.actions, &setup.attr, argv, envp.data());
  if (rc != 0) return Error{job + ": " + Errno("posix_spawn /bin/sh", rc), ErrorCode::kUnavailable};
  running_[launch.id] = Run{launch.epoch, pid, false, std::nullopt};
  return Status::Ok();
}

Status JobRunner::Stop(std::int64_t id, std::int64_t epoch, std::chrono::milliseconds grace) {
  std::int64_t& seen = last_epoch_[id];
  if (epoch > seen) seen = epoch;
  auto it = running_.find(id);
  const std::string job = "job " + std::to_string(id) + " epoch " + std::to_string(epoch);
  if (it == running_.end()) return Error{job + ": not running", ErrorCode::kNotFound};
  Run& run = it->second;
  if (epoch < run.epoch)
    return Error{job + ": stale stop, epoch " + std::to_string(run.epoch) + " runs",
                 ErrorCode::kOutOfRange};
  const auto kill_at = clock_() + grace;
  // A second stop may shorten the grace, never lengthen it.
  if (!run.kill_at || kill_at < *run.kill_at) run.kill_at = kill_at;
  if (!run.stopping) {
    run.stopping = true;
    ::kill(-run.pid, SIGTERM);
  }
  return Status::Ok();
}

void JobRunner::StopAll(std::chrono::milliseconds grace) {
  for (const auto& [id, run] : running_) Stop(id, run.epoch, grace).IgnoreError();
}

std::vector<JobExit> JobRunner::Poll() {
  std::vector<JobExit> exits;
  const auto now = clock_();
  for (auto it = running_.begin(); it != running_.end();) {
    Run& run = it->second;
    // Look without reaping first: while the shell is a zombie its pid, the group's id, cannot be
    // reused, so the group kill below cannot reach another process's group.
    siginfo_t info{};
    const int rc = ::waitid(P_PID, static_cast<id_t>(run.pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if (rc == 0 && info.si_pid == run.pid) {
      ::kill(-run.pid, SIGKILL);  // what the job left behind in its group
      int status = 0;
      ::waitpid(run.pid, &status, 0);
      JobExit exit{it->first, run.epoch, std::nullopt, std::nullopt};
      if (WIFEXITED(status)) {
        exit.exit_code = WEXITSTATUS(status);
      } else {
        exit.signal = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
      }
      exits.push_back(exit);
      it = running_.erase(it);
      continue;
    }
    if (run.kill_at && now >= *run.kill_at) {
      ::kill(-run.pid, SIGKILL);
      run.kill_at.reset();  // sent; the exit is reaped by a later Poll
    }
    ++it;
  }
  return exits;
}

std::vector<RunningJob> JobRunner::Running() const {
  std::vector<RunningJob> out;
  for (const auto& [id, run] : running_) out.push_back({id, run.epoch, run.pid, run.stopping});
  return out;
}

std::string DescribeExit(const JobExit& exit) {
  if (exit.exit_code) return "exit code " + std::to_string(*exit.exit_code);
  if (exit.signal)
    return "signal " + std::to_string(*exit.signal) + " (" + strsignal(*exit.signal) + ")";
  return "unknown end";
}

}  // namespace gpufleet::agent
