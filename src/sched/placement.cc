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
  if (within != 0 || config.dispatch == Dispatch::kBestFit || fleet.sites().size() < 2) {
    return PlaceAdmittedWithin(s, r, within);
  }
  const SchedJob& j = job(s);
  DispatchJob what;
  what.model = j.model;
  if (hooks.checkpoints != nullptr) {
    if (const std::optional<CheckpointLocator::Place> at = hooks.checkpoints->CheckpointOf(j.id)) {
      what.checkpoint_site = at->site;
      what.checkpoint_gb = at->gb;
      if (config.dispatch == Dispatch::kEarliestStart) {
        for (int site = 0; site < static_cast<int>(fleet.sites().size()); ++site) {
          what.copies_in_flight.push_back(
              site == at->site ? 0 : hooks.checkpoints->CopiesInFlight(at->site, site));
        }
      }
    }
  }
  const SiteRanker::Tiers& tiers = site_ranker.Rank(
      config.dispatch, what, config.hourly_carbon ? last_now : -1, [this](int site) {
        return hooks.admission != nullptr ? hooks.admission->HeadroomShare(site) : std::nullopt;
      });
  // A refusal in any tier (power, the network) is what the job is told if none takes it, and
  // keeps the failure out of the "too large" cache: the GPUs were there.
  bool refused_somewhere = false;
  PendingReason first_refusal;
  std::vector<TopoId> power_refused;
  auto note_failure = [&] {
    if (refused_not_for_gpus && !refused_somewhere) first_refusal = refusal;
    refused_somewhere = refused_somewhere || refused_not_for_gpus;
    power_refused.insert(power_refused.end(), power_refused_sites.begin(),
                         power_refused_sites.end());
  };
  for (const std::vector<int>& tier : tiers) {
    std::optional<Allocation> a = PlaceAdmittedInTier(s, r, tier);
    if (a) return a;
    note_failure();
  }
  // A gang of whole GPUs that may span sites (topology any) and fits no one tier is placed by
  // best fit over the whole fleet, last (shares always take one node: a tier held it or none).
  if (r.constraint == Level::kFleet && tiers.size() > 1 && r.milli >= kMilliPerGpu &&
      index.FreeGpus() >= r.gpus) {
    std::optional<Allocation> a = PlaceAdmittedWithin(s, r, 0);
    if (a) return a;
    note_failure();
  }
  refused_not_for_gpus = refused_somewhere;
  if (refused_somewhere) refusal = first_refusal;
  power_refused_sites = std::move(power_refused);
  return std::nullopt;
}

std::optional<Allocation> SchedulerCore::PlaceAdmittedInTier(Slot s, const GangRequest& r,
                                                             const std::vector<int>& tier) {
  if (tier.size() == 1)
    return PlaceAdmittedWithin(s, r, fleet.sites()[static_cast<size_t>(tier[0])].topo);
  // Hide the sites outside the tier that are not hidden already (backfill may hide some).
  std::vector<TopoId> hidden;
  for (size_t site = 0; site < fleet.sites().size(); ++site) {
    const TopoId t = fleet.sites()[site].topo;
    if (std::find(tier.begin(), tier.end(), static_cast<int>(site)) == tier.end() &&
        !index.Hidden(t)) {
      index.Block(t);
      hidden.push_back(t);
    }
  }
  std::optional<Allocation> a = PlaceAdmittedWithin(s, r, 0);
  for (TopoId t : hidden) index.Unblock(t);
  return a;
}

std::optional<Allocation> SchedulerCore::PlaceAdmittedWithin(Slot s, const GangRequest& r,
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
