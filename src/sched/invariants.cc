// Self-checks used by property tests. Not on any hot path.
#include <bit>

#include "sched/capacity_index.h"
#include "sched/scheduler.h"

namespace gpufleet {

std::optional<std::string> CapacityIndex::Verify() const {
  CapacityIndex fresh(fleet_);
  for (NodeId n = 0; n < fleet_.num_nodes(); ++n) {
    fresh.free_mask_[static_cast<size_t>(n)] = free_mask_[static_cast<size_t>(n)];
    fresh.up_[static_cast<size_t>(n)] = up_[static_cast<size_t>(n)];
    fresh.table_[fresh.Slot(fleet_.NodeTopo(n), Level::kNode, fleet_.NodeModel(n))] =
        fresh.NodeFree(n);
  }
  fresh.blocked_ = blocked_;
  for (TopoId t = fleet_.LevelBegin(Level::kNode) - 1; t >= 0; --t) fresh.Recompute(t);
  for (size_t i = 0; i < table_.size(); ++i) {
    if (table_[i] != fresh.table_[i]) {
      const size_t t = i / (kLevels * static_cast<size_t>(models_));
      return "capacity index entry " + std::to_string(i) + " (topology node " +
             fleet_.Path(static_cast<TopoId>(t)) + ") is " + std::to_string(table_[i]) +
             ", recomputed " + std::to_string(fresh.table_[i]);
    }
  }
  return std::nullopt;
}

std::optional<std::string> Scheduler::CheckInvariants() const {
  if (auto e = index_.Verify()) return e;
  std::vector<JobId> owner(owner_.size(), -1);
  std::int64_t allocated = 0;
  size_t running = 0;
  for (JobId id = 0; id < static_cast<JobId>(jobs_.size()); ++id) {
    const Job& j = jobs_[static_cast<size_t>(id)];
    const std::string who = "job " + std::to_string(id);
    if (j.state != State::kRunning) {
      if (!j.alloc.empty()) return who + " holds GPUs but is not running";
      continue;
    }
    ++running;
    if (j.alloc.Gpus() != j.gpus) {
      return who + " holds " + std::to_string(j.alloc.Gpus()) + " GPUs but asked for " +
             std::to_string(j.gpus);
    }
    if (j.model != kAnyModel && j.alloc.model != j.model)
      return who + " runs on the wrong GPU model";
    const Level level = ConstraintLevel(j.topology);
    const TopoId subtree = fleet_.Ancestor(j.alloc.nodes.front().node, level);
    NodeId previous = -1;
    for (const NodeGpus& ng : j.alloc.nodes) {
      if (ng.node <= previous) return who + ": allocation not sorted by node";
      previous = ng.node;
      if (fleet_.NodeModel(ng.node) != j.alloc.model) return who + " mixes GPU models";
      if (fleet_.Ancestor(ng.node, level) != subtree) {
        return who + " spans more than one " + LevelName(level) + " (topology " +
               TopologyName(j.topology) + ")";
      }
      if (!index_.NodeUp(ng.node)) return who + " runs on a failed node";
      if ((ng.mask >> fleet_.NodeGpus(ng.node)) != 0)
        return who + " holds GPUs the node does not have";
      if ((index_.NodeFreeMask(ng.node) & ng.mask) != 0)
        return who + " holds GPUs the index thinks free";
      for (std::uint64_t m = ng.mask; m != 0; m &= m - 1) {
        const size_t slot =
            static_cast<size_t>(gpu_base_[static_cast<size_t>(ng.node)] + std::countr_zero(m));
        if (owner[slot] >= 0)
          return who + " and job " + std::to_string(owner[slot]) + " hold the same GPU";
        owner[slot] = id;
      }
    }
    allocated += j.gpus;
  }
  if (owner != owner_) return std::string("the GPU owner table disagrees with the allocations");
  if (allocated != allocated_gpus_) return std::string("allocated GPU counter is off");
  if (running != running_) return std::string("running job counter is off");
  // Every GPU is free, held by exactly one job, or on a failed node.
  std::int64_t up_gpus = 0;
  for (NodeId n = 0; n < fleet_.num_nodes(); ++n) {
    if (!index_.NodeUp(n)) continue;
    up_gpus += fleet_.NodeGpus(n);
    const std::uint64_t full =
        fleet_.NodeGpus(n) >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << fleet_.NodeGpus(n)) - 1;
    std::uint64_t held = 0;
    for (int g = 0; g < fleet_.NodeGpus(n); ++g) {
      if (Owner(n, g) >= 0) held |= std::uint64_t{1} << g;
    }
    if ((held | index_.NodeFreeMask(n)) != full || (held & index_.NodeFreeMask(n)) != 0) {
      return "node " + fleet_.Path(fleet_.NodeTopo(n)) +
             ": free and held GPUs do not partition the node";
    }
  }
  if (index_.FreeGpus() + allocated > up_gpus) return std::string("more GPUs allocated than exist");
  return std::nullopt;
}

}  // namespace gpufleet
