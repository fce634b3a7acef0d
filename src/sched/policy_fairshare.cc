// fairshare: tenants are served in order of their decayed usage over their weight (Slurm's
// fair-share factor), each tenant's jobs first come first served. A tenant with a GPU quota is
// served before borrowers while its running GPUs plus its next job fit in the quota; beyond it, it
// borrows idle capacity like any tenant without a quota. A tenant within its quota whose next job
// does not fit reclaims: it evicts jobs of tenants holding more than their quota, the most
// recently started first.
#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "sched/core.h"

namespace gpufleet {
namespace {

class FairsharePolicy final : public SchedulingPolicy {
 public:
  explicit FairsharePolicy(std::int64_t half_life_ms) : half_life_ms_(half_life_ms) {}

  std::pair<std::int64_t, std::int64_t> KeyOf(const SchedulerCore& core, Slot s) const override {
    return {core.job(s).tenant, core.job(s).submit};
  }
  // Usage accrues with the allocation held until now: account for it before the allocation changes.
  void OnStarted(SchedulerCore& core, Slot s, SimTime now) override {
    Grow(core);
    UpdateUsage(now);
    held_[static_cast<size_t>(core.job(s).tenant)] += core.job(s).gpus;
  }
  void OnStopping(SchedulerCore& core, Slot s, SimTime now) override {
    Grow(core);
    UpdateUsage(now);
    held_[static_cast<size_t>(core.job(s).tenant)] -= core.job(s).gpus;
  }
  void Pass(SchedulerCore& core, SimTime now, std::vector<Decision>& out) override;
  // Behind the first waiting job of its own tenant.
  PendingReason Unexamined(const SchedulerCore& core, Slot s, std::int64_t) const override {
    const SchedJob& j = core.job(s);
    PendingReason r;
    r.code = WaitReason::kBehind;
    auto it = TenantHead(core, static_cast<size_t>(j.tenant));
    r.blocker = it->id;
    for (; it != core.queue.end() && it->id != j.id; ++it) ++r.ahead;
    return r;
  }
  void Save(const SchedulerCore& core, ByteWriter& w) const override {
    w.Put(usage_updated_);
    w.Put(static_cast<std::uint64_t>(core.tenants.size()));
    for (size_t t = 0; t < core.tenants.size(); ++t) w.PutDouble(t < usage_.size() ? usage_[t] : 0);
  }
  Status Load(SchedulerCore& core, ByteReader& r) override {
    std::uint64_t n = 0;
    r.Get(usage_updated_);
    if (!r.GetCount(n, sizeof(double)) || n != core.tenants.size())
      return Error{"scheduler snapshot: fairshare usage does not match the tenants",
                   ErrorCode::kDataLoss};
    if (usage_updated_ < 0 || usage_updated_ > kLatestTime)
      return Error{"scheduler snapshot: the fairshare clock is out of range", ErrorCode::kDataLoss};
    usage_.assign(n, 0);
    for (double& u : usage_) {
      r.GetDouble(u);
      if (!(u >= 0) || !std::isfinite(u))
        return Error{"scheduler snapshot: a tenant's fairshare usage is not a finite number",
                     ErrorCode::kDataLoss};
    }
    return Status::Ok();
  }
  std::optional<std::string> Check(const SchedulerCore& core) const override {
    std::vector<std::int64_t> expected(core.tenants.size(), 0);
    for (Slot s : core.running_list)
      expected[static_cast<size_t>(core.job(s).tenant)] += core.job(s).gpus;
    for (size_t t = 0; t < expected.size(); ++t) {
      if (expected[t] != (t < held_.size() ? held_[t] : 0))
        return "fairshare: tenant " + core.tenants[t].name + "'s GPUs held are off";
    }
    return std::nullopt;
  }
  void OnRestored(SchedulerCore& core) override {
    held_.assign(core.tenants.size(), 0);
    usage_.resize(core.tenants.size(), 0);
    for (Slot s : core.running_list)
      held_[static_cast<size_t>(core.job(s).tenant)] += core.job(s).gpus;
  }

 private:
  void Grow(const SchedulerCore& core) {
    if (held_.size() < core.tenants.size()) {
      held_.resize(core.tenants.size(), 0);
      usage_.resize(core.tenants.size(), 0);
    }
  }
  static std::set<QueueKey>::const_iterator TenantHead(const SchedulerCore& core, size_t t) {
    return core.queue.lower_bound(
        QueueKey{static_cast<std::int64_t>(t), std::numeric_limits<std::int64_t>::min(), -1});
  }
  void UpdateUsage(SimTime now);

  const std::int64_t half_life_ms_;
  std::vector<std::int64_t> held_;  // GPUs held now, per tenant
  std::vector<double> usage_;       // decayed GPU-milliseconds, per tenant
  SimTime usage_updated_ = 0;
};

void FairsharePolicy::UpdateUsage(SimTime now) {
  if (now <= usage_updated_) return;
  // Usage decays with a half-life H: u(t + dt) = u(t) 2^(-dt/H) + a ∫0^dt 2^(-(dt-s)/H) ds, and
  // the integral is a H/ln 2 (1 - 2^(-dt/H)) for a constant allocation a over the interval.
  const double h = static_cast<double>(half_life_ms_);
  const double dt = static_cast<double>(now - usage_updated_);
  const double decay = std::exp2(-dt / h);
  const double gain = h / std::log(2.0) * (1 - decay);
  for (size_t t = 0; t < usage_.size(); ++t) {
    usage_[t] = usage_[t] * decay + static_cast<double>(held_[t]) * gain;
  }
  usage_updated_ = now;
}

void FairsharePolicy::Pass(SchedulerCore& core, SimTime now, std::vector<Decision>& out) {
  Grow(core);
  UpdateUsage(now);
  if (!core.force_pass && core.capacity_version == core.last_pass_version &&
      core.new_jobs.empty()) {
    return;
  }
  core.BeginExamination(now);
  const size_t tenants = core.tenants.size();
  std::vector<bool> blocked(tenants, false);
  for (;;) {
    // The tenant to serve next: within quota before borrowing, then the least usage per weight.
    size_t best = tenants;
    std::tuple<int, double, size_t> best_key{2, 0, 0};
    for (size_t t = 0; t < tenants; ++t) {
      if (blocked[t]) continue;
      auto it = TenantHead(core, t);
      if (it == core.queue.end() || it->a != static_cast<std::int64_t>(t)) {
        blocked[t] = true;  // nothing waiting
        continue;
      }
      const SchedJob& head = core.job(it->slot);
      const auto& quota = core.tenants[t].quota_gpus;
      const int in_quota = quota && held_[t] + head.gpus <= *quota ? 0 : 1;
      const std::tuple<int, double, size_t> key{in_quota, usage_[t] / core.tenants[t].weight, t};
      if (best == tenants || key < best_key) {
        best = t;
        best_key = key;
      }
    }
    if (best == tenants) return;
    const Slot head = TenantHead(core, best)->slot;
    if (core.TryStart(head, now, out)) continue;
    const auto& quota = core.tenants[best].quota_gpus;
    if (std::get<0>(best_key) == 0) {
      // Within its quota: take back what borrowers hold beyond their own quotas, the most
      // recently started first. A job is a victim only if its tenant keeps at least its quota
      // without it: reclaiming takes borrowed GPUs, never guaranteed ones.
      if (core.job(head).Planning()) {
        blocked[best] = true;  // its victims are still stopping
        continue;
      }
      std::vector<std::tuple<SimTime, JobId, Slot>> ranked;
      for (Slot s : core.running_list) {
        const SchedJob& r = core.job(s);
        // Not a job started at this instant: it would start and stop in the same pass.
        if (static_cast<size_t>(r.tenant) != best && core.Evictable(r, now))
          ranked.emplace_back(-r.run_start, r.id, s);
      }
      std::sort(ranked.begin(), ranked.end());
      std::vector<std::int64_t> keeps = held_;
      std::vector<Slot> victims;
      for (const auto& [neg_start, id, s] : ranked) {
        const SchedJob& r = core.job(s);
        const auto t = static_cast<size_t>(r.tenant);
        if (keeps[t] - r.gpus >= core.tenants[t].quota_gpus.value_or(0)) {
          keeps[t] -= r.gpus;
          victims.push_back(s);
        }
      }
      if (core.PreemptFor(head, victims, now, out) == SchedulerCore::Preempted::kStarted) continue;
    } else if (quota) {
      // Beyond its quota it may only borrow idle GPUs, and none fit.
      PendingReason why = core.BasicReason(core.job(head));
      why.code = WaitReason::kQuota;
      why.held = held_[best];
      why.quota = *quota;
      core.SetReason(head, why);
    }
    blocked[best] = true;  // first come first served within a tenant: its head blocks the rest
  }
}

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFairsharePolicy(const SchedulerConfig& config) {
  return std::make_unique<FairsharePolicy>(config.fairshare_half_life_ms);
}

}  // namespace gpufleet
