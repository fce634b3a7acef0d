// fairshare: tenants are served in order of their decayed usage over their weight (Slurm's
// fair-share factor), each tenant's jobs first come first served. A tenant with a GPU quota is
// served before borrowers while its running GPUs plus its next job fit in the quota; beyond it, it
// borrows idle capacity like any tenant without a quota. A tenant within its quota whose next job
// does not fit reclaims: it evicts jobs of tenants holding more than their quota, the most
// recently started first.
#include <algorithm>
#include <cmath>
#include <limits>

#include "sched/scheduler.h"

namespace gpufleet {

void Scheduler::UpdateUsage(SimTime now) {
  if (now <= usage_updated_) return;
  // Usage decays with a half-life H: u(t + dt) = u(t) 2^(-dt/H) + a ∫0^dt 2^(-(dt-s)/H) ds, and
  // the integral is a H/ln 2 (1 - 2^(-dt/H)) for a constant allocation a over the interval.
  const double h = static_cast<double>(config_.fairshare_half_life_ms);
  const double dt = static_cast<double>(now - usage_updated_);
  const double decay = std::exp2(-dt / h);
  const double gain = h / std::log(2.0) * (1 - decay);
  for (size_t t = 0; t < tenants_.size(); ++t) {
    tenant_usage_[t] = tenant_usage_[t] * decay + static_cast<double>(tenant_alloc_[t]) * gain;
  }
  usage_updated_ = now;
}

void Scheduler::FairsharePass(SimTime now, std::vector<Decision>& out) {
  UpdateUsage(now);
  if (capacity_version_ == last_pass_version_ && new_jobs_.empty()) return;
  const size_t tenants = tenants_.size();
  std::vector<bool> blocked(tenants, false);
  for (;;) {
    // The tenant to serve next: within quota before borrowing, then the least usage per weight.
    size_t best = tenants;
    std::tuple<int, double, size_t> best_key{2, 0, 0};
    for (size_t t = 0; t < tenants; ++t) {
      if (blocked[t]) continue;
      auto it = queue_.lower_bound(
          QueueKey{static_cast<std::int64_t>(t), std::numeric_limits<std::int64_t>::min(), -1});
      if (it == queue_.end() || it->a != static_cast<std::int64_t>(t)) {
        blocked[t] = true;  // nothing waiting
        continue;
      }
      const Job& head = jobs_[static_cast<size_t>(it->id)];
      const auto& quota = tenants_[t].quota_gpus;
      const int in_quota = quota && tenant_alloc_[t] + head.gpus <= *quota ? 0 : 1;
      const std::tuple<int, double, size_t> key{in_quota, tenant_usage_[t] / tenants_[t].weight, t};
      if (best == tenants || key < best_key) {
        best = t;
        best_key = key;
      }
    }
    if (best == tenants) return;
    const JobId head = queue_
                           .lower_bound(QueueKey{static_cast<std::int64_t>(best),
                                                 std::numeric_limits<std::int64_t>::min(), -1})
                           ->id;
    if (TryStart(head, now, out)) continue;
    if (std::get<0>(best_key) == 0) {
      // Within its quota: take back what borrowers hold beyond their own quotas, the most
      // recently started first. A job is a victim only if its tenant keeps at least its quota
      // without it: reclaiming takes borrowed GPUs, never guaranteed ones.
      std::vector<std::pair<SimTime, JobId>> ranked;
      for (JobId id : running_list_) {
        const Job& r = jobs_[static_cast<size_t>(id)];
        // Not a job started at this instant: it would start and stop in the same pass.
        if (static_cast<size_t>(r.tenant) != best && r.run_start < now)
          ranked.emplace_back(-r.run_start, id);
      }
      std::sort(ranked.begin(), ranked.end());
      std::vector<std::int64_t> keeps = tenant_alloc_;
      std::vector<JobId> victims;
      for (const auto& [neg_start, id] : ranked) {
        const Job& r = jobs_[static_cast<size_t>(id)];
        const auto t = static_cast<size_t>(r.tenant);
        if (keeps[t] - r.gpus >= tenants_[t].quota_gpus.value_or(0)) {
          keeps[t] -= r.gpus;
          victims.push_back(id);
        }
      }
      if (PreemptFor(head, victims, now, out)) continue;
    }
    blocked[best] = true;  // first come first served within a tenant: its head blocks the rest
  }
}

}  // namespace gpufleet
