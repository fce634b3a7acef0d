// A progress line on stderr for long runs: shown only when stderr is a terminal, and only once a
// run has taken more than a second. Wall-clock time lives here, outside the simulation.
#pragma once

#include <chrono>
#include <cstdint>

#include "util/time.h"

namespace gpufleet::cli {

class ProgressBar {
 public:
  // `horizon`: the simulated time at which the run stops, or kNever when unknown.
  ProgressBar(SimTime horizon, bool enabled);
  void Update(SimTime now, std::uint64_t events);
  void Finish();
  double ElapsedSeconds() const;

 private:
  std::chrono::steady_clock::time_point start_;
  SimTime horizon_;
  bool enabled_;
  bool shown_ = false;
};

// True when stderr is a terminal.
bool StderrIsTerminal();

}  // namespace gpufleet::cli
