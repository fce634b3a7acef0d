// Self-checks used by property tests. Not on any hot path.
#include <algorithm>
#include <bit>
#include <cmath>

#include "sched/capacity_index.h"
#include "sched/core.h"

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

std::optional<std::string> SchedulerCore::CheckInvariants() const {
  if (auto e = index.Verify()) return e;
  // Backfill and dispatch hide subtrees only within a placement attempt.
  if (index.AnyHidden()) return std::string("a subtree of the capacity index is still hidden");
  {
    std::vector<const Allocation*> holding_gpus;
    for (const SchedJob& j : jobs) {
      if (j.live && j.HoldsGpus()) holding_gpus.push_back(&j.alloc);
    }
    if (auto e = index.VerifyTags(holding_gpus)) return e;
  }
  // Milli-GPUs, milli-CPU and MiB each node's jobs hold, from their allocations alone.
  std::vector<std::vector<int>> held(static_cast<size_t>(fleet.num_nodes()));
  std::vector<std::int64_t> cpu(static_cast<size_t>(fleet.num_nodes()), 0), memory(cpu.size(), 0);
  std::vector<std::vector<JobId>> on(static_cast<size_t>(fleet.num_nodes()));
  std::int64_t allocated = 0;
  size_t holding_count = 0, live = 0, waiting = 0;
  std::int64_t waiting_milli = 0;
  for (Slot s = 0; s < static_cast<Slot>(jobs.size()); ++s) {
    const SchedJob& j = job(s);
    const std::string who = "job " + std::to_string(j.id) + " (slot " + std::to_string(s) + ")";
    if (!j.live) {
      if (!j.alloc.empty() || j.Planning()) return who + ": a free slot holds GPUs";
      continue;
    }
    ++live;
    const std::optional<Slot> mapped = SlotOf(j.id);
    if (!mapped || *mapped != s) return who + ": the id map does not point at its slot";
    if (j.state == JobState::kPending) {
      ++waiting;
      waiting_milli += static_cast<std::int64_t>(j.gpus) * j.milli;
      // A head waiting for its victims holds part of its plan (two-phase preemption).
      if (j.Planning()) {
        const Allocation& held_for = j.head->held;
        for (const NodeGpus& ng : held_for.nodes) {
          if (!index.NodeUp(ng.node)) return who + " is held GPUs of a node that is not up";
          if ((index.NodeFreeMask(ng.node) & ng.mask) != 0)
            return who + " is held GPUs the index thinks free";
          auto& h = held[static_cast<size_t>(ng.node)];
          h.resize(static_cast<size_t>(fleet.NodeGpus(ng.node)), 0);
          for (std::uint64_t m = ng.mask; m != 0; m &= m - 1)
            h[static_cast<size_t>(std::countr_zero(m))] += held_for.milli;
          cpu[static_cast<size_t>(ng.node)] += held_for.cpu_per_gpu * std::popcount(ng.mask);
          memory[static_cast<size_t>(ng.node)] += held_for.memory_per_gpu * std::popcount(ng.mask);
        }
      }
      const bool listed =
          std::find(planning_heads.begin(), planning_heads.end(), s) != planning_heads.end();
      if (j.Planning() != listed) return who + ": the list of planning heads is off";
      const auto in_queue = queue.find(KeyOf(s));
      if (in_queue == queue.end() || in_queue->slot != s)
        return who + " waits but is not in the queue under its key";
      if (!j.alloc.empty()) return who + " holds GPUs but waits";
      continue;
    }
    ++holding_count;
    if (j.running_slot < 0 || static_cast<size_t>(j.running_slot) >= running_list.size() ||
        running_list[static_cast<size_t>(j.running_slot)] != s) {
      return who + ": the running list does not hold it where it says";
    }
    if (j.alloc.Gpus() != j.gpus) {
      return who + " holds " + std::to_string(j.alloc.Gpus()) + " GPUs but asked for " +
             std::to_string(j.gpus);
    }
    if (j.alloc.milli != j.milli) return who + " holds another share of its GPUs than it asked for";
    if (j.milli < kMilliPerGpu && j.alloc.nodes.size() != 1)
      return who + " shares GPUs across nodes";
    if (!RequestOf(j).Allows(j.alloc.model)) return who + " runs on a GPU model it does not allow";
    const Level level = ConstraintLevel(j.topology);
    const TopoId subtree = fleet.Ancestor(j.alloc.nodes.front().node, level);
    NodeId previous = -1;
    for (const NodeGpus& ng : j.alloc.nodes) {
      if (ng.node <= previous) return who + ": allocation not sorted by node";
      previous = ng.node;
      if (fleet.NodeModel(ng.node) != j.alloc.model) return who + " mixes GPU models";
      if (fleet.Ancestor(ng.node, level) != subtree) {
        return who + " spans more than one " + LevelName(level) + " (topology " +
               TopologyName(j.topology) + ")";
      }
      // Up: placeable, or draining (out of placement, its jobs run on).
      if (nodes[static_cast<size_t>(ng.node)] != NodeState::kUp ||
          index.NodeUp(ng.node) == (draining[static_cast<size_t>(ng.node)] != 0))
        return who + " runs on a node that is not up";
      if ((ng.mask >> fleet.NodeGpus(ng.node)) != 0)
        return who + " holds GPUs the node does not have";
      if ((index.NodeFreeMask(ng.node) & ng.mask) != 0)
        return who + " holds GPUs the index thinks free";
      auto& h = held[static_cast<size_t>(ng.node)];
      h.resize(static_cast<size_t>(fleet.NodeGpus(ng.node)), 0);
      for (std::uint64_t m = ng.mask; m != 0; m &= m - 1)
        h[static_cast<size_t>(std::countr_zero(m))] += j.milli;
      cpu[static_cast<size_t>(ng.node)] += j.cpu_per_gpu * std::popcount(ng.mask);
      memory[static_cast<size_t>(ng.node)] += j.memory_per_gpu * std::popcount(ng.mask);
      on[static_cast<size_t>(ng.node)].push_back(j.id);
    }
    allocated += static_cast<std::int64_t>(j.gpus) * j.milli;
  }
  if (live != slot_of.size()) return std::string("the id map holds jobs that no slot holds");
  if (live + free_slots.size() != jobs.size()) return std::string("free slots are miscounted");
  if (waiting != queue.size()) return std::string("the queue holds jobs that do not wait");
  if (waiting_milli != queued_milli) {
    return "the queue's GPU demand is " + std::to_string(queued_milli) +
           " milli-GPUs, its jobs ask " + std::to_string(waiting_milli);
  }
  if (allocated != allocated_milli) return std::string("allocated milli-GPU counter is off");
  if (holding_count != holding || holding != running_list.size())
    return std::string("running job counter is off");
  // On every healthy node each GPU's free room and what its jobs hold add up to one GPU, and the
  // node's CPU and memory to its capacity.
  std::int64_t up_milli = 0;
  for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
    const auto i = static_cast<size_t>(n);
    std::sort(on[i].begin(), on[i].end());
    if (on[i] != node_jobs[i])
      return "node " + fleet.Path(fleet.NodeTopo(n)) + ": its job list is off";
    if (Placeable(n) != index.NodeUp(n)) {
      return "node " + fleet.Path(fleet.NodeTopo(n)) +
             ": the index disagrees on whether it takes jobs";
    }
    if (!index.NodeUp(n)) {
      // A draining node's GPUs still hold its jobs.
      if (nodes[i] == NodeState::kUp) up_milli += std::int64_t{fleet.NodeGpus(n)} * kMilliPerGpu;
      continue;
    }
    up_milli += static_cast<std::int64_t>(fleet.NodeGpus(n)) * kMilliPerGpu;
    held[i].resize(static_cast<size_t>(fleet.NodeGpus(n)), 0);
    for (int g = 0; g < fleet.NodeGpus(n); ++g) {
      if (held[i][static_cast<size_t>(g)] + index.GpuFreeMilli(n, g) != kMilliPerGpu) {
        return "node " + fleet.Path(fleet.NodeTopo(n)) + " GPU " + std::to_string(g) + ": " +
               std::to_string(held[i][static_cast<size_t>(g)]) + " milli held and " +
               std::to_string(index.GpuFreeMilli(n, g)) + " free";
      }
    }
    const NodeType& t = fleet.node_types()[static_cast<size_t>(fleet.NodeTypeOf(n))];
    if (t.cpu_cores > 0 && index.CpuFree(n) + cpu[i] != t.cpu_milli()) {
      return "node " + fleet.Path(fleet.NodeTopo(n)) + ": CPU held and free do not add up";
    }
    if (t.memory_gb > 0 && index.MemoryFree(n) + memory[i] != t.memory_mib()) {
      return "node " + fleet.Path(fleet.NodeTopo(n)) + ": memory held and free do not add up";
    }
    if (index.CpuFree(n) < 0 || index.MemoryFree(n) < 0)
      return "node " + fleet.Path(fleet.NodeTopo(n)) + " overcommitted";
  }
  if (std::count(draining.begin(), draining.end(), 1) != draining_count)
    return std::string("the draining node counter is off");
  if (index.FreeGpus() * kMilliPerGpu + allocated > up_milli)
    return std::string("more GPUs allocated than exist");
  return policy->Check(*this);
}

}  // namespace gpufleet
