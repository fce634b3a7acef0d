// A progress line on stderr for long runs, once a run has taken more than a second: redrawn in
// place on a terminal; elsewhere (a CI log, a file) a line of its own every 10 s. Wall-clock time
// lives here, outside the simulation.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

#include "util/time.h"

namespace gpufleet::cli {

class ProgressBar {
 public:
  enum class Mode {
    kOff,
    kTerminal,  // one line, redrawn
    kLog        // a line every 10 s
  };
  // `horizon`: the simulated time at which the run stops, or kNever when unknown.
  // `first_after_s`, `log_every_s`: when the first line comes, and how often a log's do.
  ProgressBar(SimTime horizon, Mode mode, std::FILE* out = stderr, double first_after_s = 1,
              double log_every_s = 10);
  ProgressBar(SimTime horizon, bool enabled)
      : ProgressBar(horizon, enabled ? Mode::kTerminal : Mode::kOff) {}
  void Update(SimTime now, std::uint64_t events);
  void Finish();
  double ElapsedSeconds() const;
  // The mode for stderr: a terminal or a log.
  static Mode ForStderr();

 private:
  std::chrono::steady_clock::time_point start_;
  SimTime horizon_;
  Mode mode_;
  std::FILE* out_;
  double first_after_s_, log_every_s_;
  bool shown_ = false;
  double last_logged_ = 0;
};

// True when stderr is a terminal.
bool StderrIsTerminal();

}  // namespace gpufleet::cli
