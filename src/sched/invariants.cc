// Self-checks used by property tests. Not on any hot path.
#include <bit>
#include <cmath>

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
  // Milli-GPUs, milli-CPU and MiB each node's jobs hold, from their allocations alone.
  std::vector<std::vector<int>> held(static_cast<size_t>(fleet_.num_nodes()));
  std::vector<std::int64_t> cpu(static_cast<size_t>(fleet_.num_nodes()), 0), memory(cpu.size(), 0);
  std::vector<std::vector<JobId>> on(static_cast<size_t>(fleet_.num_nodes()));
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
    if (j.alloc.milli != j.milli) return who + " holds another share of its GPUs than it asked for";
    if (j.milli < kMilliPerGpu && j.alloc.nodes.size() != 1)
      return who + " shares GPUs across nodes";
    if (!RequestOf(j).Allows(j.alloc.model)) return who + " runs on a GPU model it does not allow";
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
      auto& h = held[static_cast<size_t>(ng.node)];
      h.resize(static_cast<size_t>(fleet_.NodeGpus(ng.node)), 0);
      for (std::uint64_t m = ng.mask; m != 0; m &= m - 1)
        h[static_cast<size_t>(std::countr_zero(m))] += j.milli;
      cpu[static_cast<size_t>(ng.node)] += j.cpu_per_gpu * std::popcount(ng.mask);
      memory[static_cast<size_t>(ng.node)] += j.memory_per_gpu * std::popcount(ng.mask);
      on[static_cast<size_t>(ng.node)].push_back(id);
    }
    allocated += static_cast<std::int64_t>(j.gpus) * j.milli;
  }
  if (allocated != allocated_milli_) return std::string("allocated milli-GPU counter is off");
  if (running != running_) return std::string("running job counter is off");
  // On every healthy node each GPU's free room and what its jobs hold add up to one GPU, and the
  // node's CPU and memory to its capacity.
  std::int64_t up_milli = 0;
  for (NodeId n = 0; n < fleet_.num_nodes(); ++n) {
    const auto i = static_cast<size_t>(n);
    if (on[i] != node_jobs_[i])
      return "node " + fleet_.Path(fleet_.NodeTopo(n)) + ": its job list is off";
    if (!index_.NodeUp(n)) continue;
    up_milli += static_cast<std::int64_t>(fleet_.NodeGpus(n)) * kMilliPerGpu;
    held[i].resize(static_cast<size_t>(fleet_.NodeGpus(n)), 0);
    for (int g = 0; g < fleet_.NodeGpus(n); ++g) {
      if (held[i][static_cast<size_t>(g)] + index_.GpuFreeMilli(n, g) != kMilliPerGpu) {
        return "node " + fleet_.Path(fleet_.NodeTopo(n)) + " GPU " + std::to_string(g) + ": " +
               std::to_string(held[i][static_cast<size_t>(g)]) + " milli held and " +
               std::to_string(index_.GpuFreeMilli(n, g)) + " free";
      }
    }
    const NodeType& t = fleet_.node_types()[static_cast<size_t>(fleet_.NodeTypeOf(n))];
    if (t.cpu_cores > 0 && index_.CpuFree(n) + cpu[i] != std::llround(t.cpu_cores * 1000)) {
      return "node " + fleet_.Path(fleet_.NodeTopo(n)) + ": CPU held and free do not add up";
    }
    if (t.memory_gb > 0 && index_.MemoryFree(n) + memory[i] != std::llround(t.memory_gb * 1024)) {
      return "node " + fleet_.Path(fleet_.NodeTopo(n)) + ": memory held and free do not add up";
    }
    if (index_.CpuFree(n) < 0 || index_.MemoryFree(n) < 0)
      return "node " + fleet_.Path(fleet_.NodeTopo(n)) + " overcommitted";
  }
  if (index_.FreeGpus() * kMilliPerGpu + allocated > up_milli)
    return std::string("more GPUs allocated than exist");
  return std::nullopt;
}

}  // namespace gpufleet
