// One training job's progress through its application's work (docs/EXPERIMENTS.md, "The Pollux
// paper's simulated baselines"). Progress is integrated exactly within an
// interval: the rate gain(B_eff, epoch) / T_iter is constant inside an epoch, so the job jumps
// from epoch boundary to epoch boundary, each crossing rounded to whole seconds (half to even),
// as the study's simulator does. Every change of allocation costs a restart delay first. Times are
// SimTime (milliseconds), like the rest of the twin.
#pragma once

#include <cstdint>

#include "progress/application.h"
#include "util/result.h"
#include "util/time.h"

namespace gpufleet {

class JobProgress {
 public:
  // A job of `app` that trains with total batch `batch_size` whatever its GPU count.
  JobProgress(const Application* app, int batch_size) : app_(app), batch_size_(batch_size) {}

  // Runs on `placement` from now on (empty: preempted, progress kept) after `restart_delay`
  // without progress. The batch configuration is recomputed for the new GPU count.
  // Fails when the profiles have no step time or statistics for the new configuration.
  Status Reallocate(const GpusPerNode& placement, SimTime restart_delay);

  // Advances the job by `duration` from time `start`: first what is left of the restart delay,
  // then training. Completion records the exact time; the rest of the interval is idle.
  Status Advance(SimTime start, SimTime duration);

  bool complete() const { return completion_time_ >= 0; }
  SimTime completion_time() const { return completion_time_; }
  double progress() const { return progress_; }
  int epoch() const { return epoch_; }
  const GpusPerNode& placement() const { return placement_; }
  const BatchConfig& config() const { return config_; }
  int batch_size() const { return batch_size_; }
  const Application& app() const { return *app_; }
  SimTime restart_remaining() const { return restart_remaining_; }
  // Time spent in restart delays so far, and time spent training.
  SimTime restart_time() const { return restart_time_; }
  SimTime training_time() const { return training_time_; }

 private:
  Status UpdateRate();

  const Application* app_;
  int batch_size_;
  GpusPerNode placement_;
  BatchConfig config_;
  double iteration_s_ = 0;  // T_iter of the current configuration
  double rate_ = 0;         // progress per second in the current epoch
  double progress_ = 0;
  int epoch_ = 0;
  SimTime restart_remaining_ = 0;
  SimTime completion_time_ = -1;
  SimTime restart_time_ = 0;
  SimTime training_time_ = 0;
};

}  // namespace gpufleet
