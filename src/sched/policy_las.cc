// las: Tiresias' discretised two-dimensional least-attained-service (Gu et al. NSDI'19). Jobs
// are ranked by (queue of their attained GPU-time, arrival); queues are served in order and each
// first come first served. A running job's rank worsens as it crosses a queue boundary, so the
// policy asks the driver for a wake-up then; the starvation guard (las_promote_knob) returns a
// job that waited knob x its run time to the first queue with its count restarted.
#include <algorithm>
#include <cmath>
#include <limits>

#include "sched/policy_rank_preemptive.h"

namespace gpufleet {
namespace {

class LasPolicy final : public RankPreemptivePolicy<LasPolicy> {
 public:
  LasPolicy(std::vector<std::int64_t> thresholds, double promote_knob)
      : thresholds_(std::move(thresholds)), promote_knob_(promote_knob) {}

  std::pair<std::int64_t, std::int64_t> KeyOf(const SchedulerCore& core, Slot s) const override {
    return {Queue(Service(core, s, 0)), core.job(s).submit};
  }
  Rank Ranked(const SchedulerCore& core, Slot s, SimTime now) const {
    return {Queue(Service(core, s, now)), core.job(s).submit};
  }
  void OnSubmitted(SchedulerCore&, Slot s) override {
    if (base_.size() <= static_cast<size_t>(s)) base_.resize(static_cast<size_t>(s) + 1);
    base_[static_cast<size_t>(s)] = 0;
  }
  SimTime NextWakeup(const SchedulerCore& core, SimTime now) const override;
  void Save(const SchedulerCore& core, ByteWriter& w) const override {
    // The promotion base of every live job, by slot.
    w.Put(static_cast<std::uint64_t>(core.jobs.size()));
    for (size_t s = 0; s < core.jobs.size(); ++s) w.Put(s < base_.size() ? base_[s] : SimTime{0});
  }
  Status Load(SchedulerCore& core, ByteReader& r) override {
    std::uint64_t n = 0;
    if (!r.GetCount(n, sizeof(SimTime)) || n != core.jobs.size())
      return Error{"scheduler snapshot: las promotion bases do not match the jobs",
                   ErrorCode::kDataLoss};
    base_.assign(n, 0);
    for (auto& b : base_) {
      r.Get(b);
      if (b < 0 || b > kLatestTime)
        return Error{"scheduler snapshot: a las promotion base is out of range",
                     ErrorCode::kDataLoss};
    }
    return Status::Ok();
  }

 protected:
  void BeforePass(SchedulerCore& core, SimTime now) override { PromoteStarving(core, now); }

 private:
  int Queue(std::int64_t gpu_ms) const {
    return static_cast<int>(std::upper_bound(thresholds_.begin(), thresholds_.end(), gpu_ms) -
                            thresholds_.begin());
  }
  SimTime Base(Slot s) const { return base_[static_cast<size_t>(s)]; }
  // Attained service in GPU-milliseconds: GPUs x run time since the last promotion (Tiresias'
  // two-dimensional attained service).
  std::int64_t Service(const SchedulerCore& core, Slot s, SimTime now) const {
    const SchedJob& j = core.job(s);
    SimTime ran = j.attained - Base(s);
    if (j.state == JobState::kRunning) ran += now - j.run_start;
    // Times are below 2^60 ms; GPUs times that can still pass 2^63: saturate. (Checked by the
    // multiplication itself: a division here, per rank, costs the victim search ~5%.)
    std::int64_t service = 0;
    if (__builtin_mul_overflow(static_cast<std::int64_t>(j.gpus), ran, &service))
      return std::numeric_limits<std::int64_t>::max();
    return service;
  }
  void PromoteStarving(SchedulerCore& core, SimTime now);

  const std::vector<std::int64_t> thresholds_;
  const double promote_knob_;
  std::vector<SimTime> base_;  // per slot: attained time at the job's last promotion
};

void LasPolicy::PromoteStarving(SchedulerCore& core, SimTime now) {
  if (promote_knob_ <= 0) return;
  std::vector<Slot> due;
  for (const QueueKey& k : core.queue) {
    if (k.a == 0) continue;  // already in the first queue
    const Slot s = k.slot;
    const SchedJob& j = core.job(s);
    const double waited = static_cast<double>(now - j.pending_since);
    if (waited >= promote_knob_ * static_cast<double>(j.attained - Base(s))) due.push_back(s);
  }
  for (Slot s : due) {
    core.Rekey(s, [&](SchedJob& j) {
      base_[static_cast<size_t>(s)] = j.attained;  // back to queue 0 with its count restarted
      j.pending_since = now;
    });
  }
  if (!due.empty()) core.CapacityGrew();  // the ranking changed: cached failures no longer hold
}

SimTime LasPolicy::NextWakeup(const SchedulerCore& core, SimTime now) const {
  if (core.queue.empty()) return kNever;
  SimTime next = kNever;
  // A running job crossing into a lower queue may let a waiting job evict it.
  for (Slot s : core.running_list) {
    const SchedJob& r = core.job(s);
    if (r.state != JobState::kRunning) continue;
    const std::int64_t service = Service(core, s, now);
    const auto it = std::upper_bound(thresholds_.begin(), thresholds_.end(), service);
    if (it == thresholds_.end()) continue;
    // First millisecond at which GPUs x run time reaches the boundary: ceil(left / GPUs). A job
    // that cannot come before the earliest so far is skipped without the division (left >
    // (best - 1) x GPUs means ceil(left / GPUs) >= best), which is most of them.
    const std::int64_t left = *it - service;
    if (next != kNever && next - now > 1) {
      std::int64_t bound = 0;
      if (!__builtin_mul_overflow(next - now - 1, static_cast<std::int64_t>(r.gpus), &bound) &&
          left > bound) {
        continue;
      }
    }
    const SimTime dt = (left + r.gpus - 1) / r.gpus;
    next = std::min(next, now + std::max<SimTime>(1, dt));
  }
  if (promote_knob_ > 0) {
    for (const QueueKey& k : core.queue) {
      if (k.a == 0) continue;
      const Slot s = k.slot;
      const SchedJob& j = core.job(s);
      const double due = static_cast<double>(j.pending_since) +
                         std::ceil(promote_knob_ * static_cast<double>(j.attained - Base(s)));
      if (due >= static_cast<double>(kNever / 2)) continue;  // never, in any simulated horizon
      next = std::min(next, std::max(now + 1, static_cast<SimTime>(due)));
    }
  }
  return next;
}

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeLasPolicy(const SchedulerConfig& config) {
  return std::make_unique<LasPolicy>(config.las_thresholds, config.las_promote_knob);
}

}  // namespace gpufleet
