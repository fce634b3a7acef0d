// srtf (oracle) and las (Tiresias' discretised 2D least-attained-service).
//
// Both rank every job, waiting or running, and let a waiting job evict running jobs that rank
// strictly below it. Waiting jobs are examined in rank order and skipped when they cannot start
// (work-conserving: no job blocks those behind it).
#include <algorithm>
#include <climits>
#include <cmath>
#include <tuple>

#include "sched/scheduler.h"

namespace gpufleet {

int Scheduler::LasQueue(std::int64_t gpu_ms) const {
  const auto& t = config_.las_thresholds;
  return static_cast<int>(std::upper_bound(t.begin(), t.end(), gpu_ms) - t.begin());
}

// Attained service in GPU-milliseconds: GPUs x run time since the last promotion (Tiresias'
// two-dimensional attained service).
std::int64_t Scheduler::LasService(const Job& j, SimTime now) const {
  SimTime ran = j.attained - j.las_base;
  if (j.state == State::kRunning) ran += now - j.run_start;
  return static_cast<std::int64_t>(j.gpus) * ran;
}

// A job's rank under srtf or las: smaller is served first. srtf: the true remaining time. las:
// (queue, arrival) - Tiresias serves queues in order and each queue first come first served.
Scheduler::Rank Scheduler::RankOf(const Job& j, SimTime now) const {
  if (config_.policy == Policy::kSrtfOracle) {
    SimTime remaining = j.oracle_duration - j.attained;
    if (j.state == State::kRunning) remaining -= now - j.run_start;
    return {remaining, 0};
  }
  return {LasQueue(LasService(j, now)), j.submit};
}

// The running jobs `head` outranks, worst first; among equals the most recently started (least
// work lost), then the id.
std::vector<JobId> Scheduler::VictimsFor(const Job& head, SimTime now) const {
  const Rank rank = RankOf(head, now);
  std::vector<std::tuple<Rank, SimTime, JobId>> eligible;
  for (JobId id : running_list_) {
    const Job& r = jobs_[static_cast<size_t>(id)];
    if (r.run_start == now) continue;  // started at this instant: not evicted in the same pass
    const Rank rr = RankOf(r, now);
    if (rr > rank) eligible.emplace_back(rr, r.run_start, id);
  }
  std::sort(eligible.begin(), eligible.end(), [](const auto& x, const auto& y) {
    if (std::get<0>(x) != std::get<0>(y)) return std::get<0>(x) > std::get<0>(y);
    if (std::get<1>(x) != std::get<1>(y)) return std::get<1>(x) > std::get<1>(y);
    return std::get<2>(x) < std::get<2>(y);
  });
  std::vector<JobId> victims;
  victims.reserve(eligible.size());
  for (const auto& e : eligible) victims.push_back(std::get<2>(e));
  return victims;
}

void Scheduler::PromoteStarving(SimTime now) {
  if (config_.las_promote_knob <= 0) return;
  std::vector<JobId> due;
  for (const QueueKey& k : queue_) {
    const Job& j = jobs_[static_cast<size_t>(k.id)];
    if (k.a == 0) continue;  // already in the first queue
    const double waited = static_cast<double>(now - j.pending_since);
    if (waited >= config_.las_promote_knob * static_cast<double>(j.attained - j.las_base))
      due.push_back(k.id);
  }
  for (JobId id : due) {
    queue_.erase(KeyOf(id));
    Job& j = job(id);
    j.las_base = j.attained;  // back to queue 0 with its count restarted
    j.pending_since = now;
    queue_.insert(KeyOf(id));
  }
  if (!due.empty()) CapacityGrew();  // the ranking changed: cached failures no longer hold
}

SimTime Scheduler::NextWakeup(SimTime now) const {
  if (config_.policy != Policy::kLas || queue_.empty()) return kNever;
  SimTime next = kNever;
  // A running job crossing into a lower queue may let a waiting job evict it.
  for (JobId id : running_list_) {
    const Job& r = jobs_[static_cast<size_t>(id)];
    const std::int64_t service = LasService(r, now);
    const auto& t = config_.las_thresholds;
    const auto it = std::upper_bound(t.begin(), t.end(), service);
    if (it == t.end()) continue;
    // First millisecond at which GPUs x run time reaches the boundary.
    const SimTime dt = (*it - service + r.gpus - 1) / r.gpus;
    next = std::min(next, now + std::max<SimTime>(1, dt));
  }
  if (config_.las_promote_knob > 0) {
    for (const QueueKey& k : queue_) {
      if (k.a == 0) continue;
      const Job& j = jobs_[static_cast<size_t>(k.id)];
      const double due =
          static_cast<double>(j.pending_since) +
          std::ceil(config_.las_promote_knob * static_cast<double>(j.attained - j.las_base));
      if (due >= static_cast<double>(kNever / 2)) continue;  // never, in any simulated horizon
      next = std::min(next, std::max(now + 1, static_cast<SimTime>(due)));
    }
  }
  return next;
}

void Scheduler::PreemptivePass(SimTime now, std::vector<Decision>& out) {
  if (config_.policy == Policy::kLas) PromoteStarving(now);
  if (!force_pass_ && capacity_version_ == last_pass_version_ && new_jobs_.empty()) return;
  // Evicted jobs rejoin the queue; they may fit elsewhere at once, so the pass repeats until it
  // evicts nobody. Each repeat only evicts jobs ranked below their evictor: it ends.
  for (bool evicted = true; evicted;) {
    evicted = false;
    std::fill(min_failed_preempt_.begin(), min_failed_preempt_.end(), INT_MAX);
    std::vector<JobId> waiting;
    waiting.reserve(queue_.size());
    for (const QueueKey& k : queue_) waiting.push_back(k.id);
    bool can_evict = true;  // false once the waiting jobs left rank no better than any running one
    for (JobId id : waiting) {
      const Job& j = job(id);
      if (j.state != State::kPending) continue;
      if (TryStart(id, now, out)) continue;
      if (!can_evict) {
        if (index_.FreeGpus() == 0) break;  // nothing can start or be evicted any more
        continue;
      }
      const size_t slot = FailureSlot(j);
      if (j.gpus >= min_failed_preempt_[slot]) continue;
      // Waiting jobs come in rank order: when this one outranks no running job, no later one does.
      const std::vector<JobId> victims = VictimsFor(j, now);
      if (victims.empty()) {
        can_evict = false;
        continue;
      }
      if (PreemptFor(id, victims, now, out)) {
        evicted = true;
        continue;
      }
      // Only a lack of GPUs says that a larger gang fails too; power and placement refusals are
      // the job's own.
      if (!refused_not_for_gpus_)
        min_failed_preempt_[slot] = std::min(min_failed_preempt_[slot], j.gpus);
    }
  }
}

}  // namespace gpufleet
