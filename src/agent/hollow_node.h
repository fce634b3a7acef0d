// One hollow node's state (agent/hollow.h): the jobs the server started on it, each "running" until
// its duration has passed, and the ends the server has not acknowledged yet. No process, no HTTP,
// no clock of its own: every call is given `now`, so the tests move time instead of sleeping.
//
// Small on purpose (a hollow agent holds 100,000 of these): two short vectors.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace gpufleet::agent {

using HollowTime = std::chrono::steady_clock::time_point;

// A start order as the hollow node needs it: the run and how long it pretends to run.
struct HollowStart {
  std::int64_t id = 0;
  std::int64_t epoch = 0;
  std::chrono::milliseconds duration{0};
};

// What a sync tells about one run: running, or exited with a code or a signal.
struct HollowReport {
  std::int64_t id = 0;
  std::int64_t epoch = 0;
  bool running = false;
  std::optional<int> exit_code;
  std::optional<int> signal;
  bool lost = false;  // the server believed it ran here at registration, and it does not

  bool operator==(const HollowReport&) const = default;
};

class HollowNode {
 public:
  // What the next sync says: every run still running, then every end not yet acknowledged. Runs
  // whose duration has passed by `now` end here (exit code 0). Remembers how many ends it carries,
  // for Acknowledge.
  std::vector<HollowReport> Reports(HollowTime now);

  // The sync that carried the last Reports answered 200: its ends are committed and forgotten;
  // then the answer's stops (an end with signal 15 at once, as SIGTERM would) and starts
  // (fenced by epoch: a start at or below an epoch this node holds for the job is ignored).
  void Acknowledge(const std::vector<HollowStart>& starts,
                   const std::vector<std::pair<std::int64_t, std::int64_t>>& stops, HollowTime now);

  // A registration answered with the runs the server believes are here: the server's view wins.
  // A run it does not list is dropped silently (it may run elsewhere now: nothing to report, as
  // no process exists); a listed run that is not here is reported exited and lost.
  void Registered(const std::vector<std::pair<std::int64_t, std::int64_t>>& listed);

  int running() const { return static_cast<int>(runs_.size()); }
  // Runs that ended (by their duration or a stop) since the last call; for the totals.
  int TakeFinished() {
    const int n = finished_;
    finished_ = 0;
    return n;
  }

 private:
  struct Run {
    std::int64_t id = 0;
    std::int64_t epoch = 0;
    HollowTime end;
  };
  bool Holds(std::int64_t id, std::int64_t epoch_at_least) const;

  std::vector<Run> runs_;
  std::vector<HollowReport> ends_;
  std::size_t carried_ = 0;
  int finished_ = 0;
};

}  // namespace gpufleet::agent
