#include "progress/job_progress.h"

#include <algorithm>
#include <cmath>

namespace gpufleet {

Status JobProgress::Reallocate(const GpusPerNode& placement, std::int64_t restart_delay_s) {
  placement_ = placement;
  if (placement_.empty()) {
    // Preempted: the checkpoint keeps the progress. What is left of a restart delay is moot,
    // the next allocation starts a new one.
    config_ = BatchConfig{};
    return Status::Ok();
  }
  restart_remaining_ = restart_delay_s;
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

Status JobProgress::Advance(std::int64_t start, std::int64_t seconds) {
  if (placement_.empty() || complete()) return Status::Ok();
  const std::int64_t delay = std::min(restart_remaining_, seconds);
  restart_remaining_ -= delay;
  restart_seconds_ += delay;
  std::int64_t elapsed = delay;
  seconds -= delay;
  while (seconds > 0 && !complete()) {
    const double next = app_->epoch_progress[static_cast<size_t>(epoch_) + 1];
    if (progress_ + rate_ * static_cast<double>(seconds) < next) {
      progress_ += rate_ * static_cast<double>(seconds);
      training_seconds_ += seconds;
      return Status::Ok();
    }
    // Crosses into the next epoch: whole seconds, rounded half to even (std::nearbyint in the
    // default rounding mode), like the study's simulator.
    const auto dt = static_cast<std::int64_t>(std::nearbyint((next - progress_) / rate_));
    ++epoch_;
    progress_ = next;
    elapsed += dt;
    seconds -= dt;
    training_seconds_ += dt;
    if (epoch_ == app_->max_epochs) {
      completion_time_ = start + elapsed;
    } else if (Status s = UpdateRate(); !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace gpufleet
