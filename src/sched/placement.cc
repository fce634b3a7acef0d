// Placing a job: the capacity index proposes, the admission guard (site power) and the placement
// judge (a training job's network) may refuse; a refused placement is undone. When nothing is
// placed, the job's reason to wait says which of them stood in the way.
#include <algorithm>

#include "sched/core.h"

namespace gpufleet {

bool SchedulerCore::TryStart(Slot s, SimTime now, std::vector<Decision>& out) {
  const SchedJob& j = job(s);
  // Within a pass free capacity only shrinks, so a gang at least as large as one that already
  // failed with the same model and constraint fails too.
  if (SkipAsTooLarge(j)) {
    MarkNoRoom(s);
    return false;
  }
  std::optional<Allocation> a = PlaceAdmitted(s, RequestOf(j));
  if (!a) {
    if (Cacheable(j) && !refused_not_for_gpus) RememberFailure(j);
    SetFailureReason(s);
    return false;
  }
  StartJob(s, std::move(*a), now, out);
  return true;
}

bool SchedulerCore::Judged(Slot s, const Allocation& a) {
  const bool refused = hooks.judge != nullptr && !hooks.judge->Accepts(job(s).id, a);
  if (refused) {
    refused_not_for_gpus = true;
    refusal = BasicReason(job(s));
    refusal.code = WaitReason::kPlacement;
  }
  return !refused;
}

std::optional<Allocation> SchedulerCore::PlaceAdmitted(Slot s, const GangRequest& r,
                                                       TopoId within) {
  refused_not_for_gpus = false;
  power_refused_sites.clear();
  std::optional<Allocation> a = index.Place(r, within);
  if (a && hooks.admission != nullptr) {
    a = Admitted(std::move(a), r, within, job(s).power_utilization);
    refused_not_for_gpus = !a;  // the GPUs were there; the power was not
  }
  if (a && !Judged(s, *a)) {
    index.Release(*a);
    return std::nullopt;
  }
  return a;
}

std::optional<Allocation> SchedulerCore::Admitted(std::optional<Allocation> a, const GangRequest& r,
                                                  TopoId within, double utilization) {
  std::vector<TopoId> hidden;
  static const std::vector<AdmissionGuard::Load> kNoneLeaving;
  while (a) {
    refusing_.clear();
    hooks.admission->Refusing({&*a, utilization}, kNoneLeaving, refusing_);
    if (refusing_.empty()) break;
    index.Release(*a);
    for (TopoId site : refusing_) {
      index.Block(site);
      hidden.push_back(site);
    }
    a = index.Place(r, within);
  }
  if (!a && !hidden.empty()) {
    power_refused_sites = hidden;
    refusal = PendingReason{};
    refusal.code = WaitReason::kPower;
    refusal.where = hidden.front();
    refusal.wanted = r.gpus;
    refusal.level = r.constraint;
    refusal.model = r.model;
  }
  for (TopoId site : hidden) index.Unblock(site);
  return a;
}

PendingReason SchedulerCore::BasicReason(const SchedJob& j) const {
  PendingReason r;
  r.level = ConstraintLevel(j.topology);
  r.model = j.model;
  r.wanted = j.gpus;
  return r;
}

PendingReason SchedulerCore::NoRoomReason(const SchedJob& j) const {
  PendingReason r = BasicReason(j);
  const GangRequest request = RequestOf(j);
  for (ModelId m = 0; m < static_cast<ModelId>(fleet.gpu_models().size()); ++m) {
    if (request.Allows(m)) r.most_free = std::max(r.most_free, index.MostFree(0, r.level, m));
  }
  // Whole free GPUs enough: what is missing is room on shared GPUs, or CPU or memory beside them.
  r.code = r.most_free >= j.gpus && !request.WholeGpusOnly() ? WaitReason::kHostResources
                                                             : WaitReason::kCapacity;
  return r;
}

}  // namespace gpufleet
