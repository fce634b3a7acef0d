// One training job's progress through its application's work (§3.5 of
// ../shared/docs/experiments/pollux-baselines.md). Progress is integrated exactly within an
// interval: the rate gain(B_eff, epoch) / T_iter is constant inside an epoch, so the job jumps
// from epoch boundary to epoch boundary, each crossing rounded to whole seconds (half to even),
// as the study's simulator does. Every change of allocation costs a restart delay first.
#pragma once

#include <cstdint>

#include "progress/application.h"
#include "util/result.h"

namespace gpufleet {

class JobProgress {
 public:
  // A job of `app` that trains with total batch `batch_size` whatever its GPU count.
  JobProgress(const Application* app, int batch_size) : app_(app), batch_size_(batch_size) {}

  // Runs on `placement` from now on (empty: preempted, progress kept) after `restart_delay_s`
  // seconds without progress. The batch configuration is recomputed for the new GPU count.
  // Fails when the profiles have no step time or statistics for the new configuration.
  Status Reallocate(const GpusPerNode& placement, std::int64_t restart_delay_s);

  // Advances the job by `seconds` from time `start`: first what is left of the restart delay,
  // then training. Completion records the exact second; the rest of the interval is idle.
  Status Advance(std::int64_t start, std::int64_t seconds);

  bool complete() const { return completion_time_ >= 0; }
  std::int64_t completion_time() const { return completion_time_; }
  double progress() const { return progress_; }
  int epoch() const { return epoch_; }
  const GpusPerNode& placement() const { return placement_; }
  const BatchConfig& config() const { return config_; }
  int batch_size() const { return batch_size_; }
  const Application& app() const { return *app_; }
  std::int64_t restart_remaining() const { return restart_remaining_; }
  // Seconds spent in restart delays so far, and seconds spent training.
  std::int64_t restart_seconds() const { return restart_seconds_; }
  std::int64_t training_seconds() const { return training_seconds_; }

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
  std::int64_t restart_remaining_ = 0;
  std::int64_t completion_time_ = -1;
  std::int64_t restart_seconds_ = 0;
  std::int64_t training_seconds_ = 0;
};

}  // namespace gpufleet
