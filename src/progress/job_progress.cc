#include "progress/job_progress.h"

#include <algorithm>
#include <cmath>

namespace gpufleet {

Status JobProgress::Reallocate(const GpusPerNode& placement, SimTime restart_delay) {
  placement_ = placement;
  if (placement_.empty()) {
    // Preempted: the checkpoint keeps the progress. What is left of a restart delay is moot,
    // the next allocation starts a new one.
    config_ = BatchConfig{};
    return Status::Ok();
  }
  restart_remaining_ = restart_delay;
  int replicas = 0;
  for (int g : placement_) replicas += g;
  config_ = ConfigureBatch(*app_, replicas, batch_size_);
  Result<ProfileStepTime> t = LookupStepTime(*app_, placement_, config_.atomic_bsz);
  if (!t.ok()) return t.error();
  iteration_s_ = IterationSeconds(t.value(), config_.accum_steps);
  if (!(iteration_s_ > 0) || !std::isfinite(iteration_s_)) {
    return Error{app_->name + ": an iteration on " + std::to_string(replicas) +
                 " GPUs at local batch " + std::to_string(config_.atomic_bsz) + " takes " +
                 std::to_string(iteration_s_) + " s; expected a positive time"};
  }
  return complete() ? Status::Ok() : UpdateRate();
}

Status JobProgress::UpdateRate() {
  Result<double> gain = StatisticalGain(*app_, config_.effective_batch(), epoch_);
  if (!gain.ok()) return gain.error();
  if (!(gain.value() > 0) || !std::isfinite(gain.value())) {
    // Zero gradient statistics give 0/0: the profile cannot say how fast the job learns.
    return Error{app_->name + ": the statistical efficiency of batch " +
                 std::to_string(config_.effective_batch()) + " in epoch " + std::to_string(epoch_) +
                 " is " + std::to_string(gain.value()) +
                 "; expected a positive number (are grad_sqr and grad_var both 0?)"};
  }
  rate_ = gain.value() / iteration_s_;
  return Status::Ok();
}

Status JobProgress::Advance(SimTime start, SimTime duration) {
  if (placement_.empty() || complete()) return Status::Ok();
  const SimTime delay = std::min(restart_remaining_, duration);
  restart_remaining_ -= delay;
  restart_time_ += delay;
  SimTime elapsed = delay;
  duration -= delay;
  while (duration > 0 && !complete()) {
    const double next = app_->epoch_progress[static_cast<size_t>(epoch_) + 1];
    const double seconds = ToSeconds(duration);
    if (progress_ + rate_ * seconds < next) {
      progress_ += rate_ * seconds;
      training_time_ += duration;
      return Status::Ok();
    }
    // Crosses into the next epoch after a whole number of seconds, rounded half to even
    // (std::nearbyint in the default rounding mode). On purpose: the study's simulator rounds so,
    // and the published JCTs this twin reproduces to the second depend on it.
    const Result<SimTime> dt = SecondsToMs(std::nearbyint((next - progress_) / rate_));
    if (!dt.ok()) return Error{app_->name + ": the time to the next epoch: " + dt.message()};
    ++epoch_;
    progress_ = next;
    elapsed += dt.value();
    duration -= dt.value();
    training_time_ += dt.value();
    if (epoch_ == app_->max_epochs) {
      completion_time_ = start + elapsed;
    } else if (Status s = UpdateRate(); !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace gpufleet
