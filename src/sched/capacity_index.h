// The hierarchical free-capacity index (DESIGN.md, "Data structures that make it fast").
//
// For every topology node t, every level d at or below t, and every GPU model m it keeps
//   most_free(t, d, m) = the largest number of free GPUs of model m in one subtree of level d
//                        below t (for d == level(t): t's own free count).
// That one table answers "is there a leaf with 512 free H100s anywhere under this pod?" in O(1)
// and lets placement descend straight to the smallest subtree that fits, O(depth × fan-out),
// without scanning nodes. Changes walk up one path; bulk changes recompute each dirty ancestor
// once.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/allocation.h"
#include "model/fleet.h"
#include "sched/gang_request.h"
#include "sched/shared_gpu.h"

namespace gpufleet {

class CapacityIndex {
 public:
  explicit CapacityIndex(const Fleet& fleet);

  const Fleet& fleet() const { return fleet_; }

  // Largest free count of model m in one level-d subtree below t (d at or below t's level).
  int MostFree(TopoId t, Level d, ModelId m) const { return table_[Slot(t, d, m)]; }
  int Free(TopoId t, ModelId m) const { return MostFree(t, fleet_.topo(t).level, m); }
  std::int64_t FreeGpus() const;  // all models, whole fleet
  std::uint64_t NodeFreeMask(NodeId n) const { return free_mask_[static_cast<size_t>(n)]; }
  bool NodeUp(NodeId n) const { return up_[static_cast<size_t>(n)] != 0; }
  // The same table computed for an empty, fully healthy fleet: what could ever fit.
  int Capacity(Level d, ModelId m) const {
    return capacity_[static_cast<size_t>(static_cast<int>(d) * models_ + m)];
  }

  // Gang placement: `gpus` GPUs of one model, all inside one subtree of level `constraint`, and
  // inside `within` (the fleet root by default). Best fit: the smallest subtree that fits, the most
  // occupied one among equals; inside it, the fewest children, the largest first and the remainder
  // again by best fit. Whole or nothing: on success the GPUs are taken, on failure nothing changes.
  // model == kAnyModel tries every model and keeps the tightest fit. Inside a hidden subtree (or
  // one below a hidden subtree) nothing is placed.
  std::optional<Allocation> Place(int gpus, ModelId model, Level constraint, TopoId within = 0);
  // The same for any request: whole GPUs without CPU or memory take the path above; GPU shares
  // (milli < 1000) and CPU or memory requests are placed by a scan of the nodes (best fit: the
  // tightest node for a share - on one node, as a pod - and for whole GPUs the smallest subtree of
  // the deepest level that fits, counting on each node only the GPUs its free CPU and memory can
  // serve).
  std::optional<Allocation> Place(const GangRequest& request, TopoId within = 0);

  // Free milli-GPU of GPU g of node n (1000 when it is entirely free; 0 on a failed node).
  int GpuFreeMilli(NodeId n, int g) const;
  // Free host CPU (milli-CPU) and memory (MiB) of node n; very large where not modelled.
  std::int64_t CpuFree(NodeId n) const { return cpu_free_[static_cast<size_t>(n)]; }
  std::int64_t MemoryFree(NodeId n) const { return mem_free_[static_cast<size_t>(n)]; }
  static constexpr std::int64_t kUnmodelled = std::int64_t{1} << 60;

  // Returns GPUs to the pool (they must be held). Down nodes keep them out of the counts.
  void Release(const Allocation& a);
  // Takes exactly these GPUs (they must be free and up): used to undo a tentative release.
  void Take(const Allocation& a);
  // Whether Take(a) would fit: room for its share on each GPU, and its CPU and memory.
  bool CanTake(const Allocation& a) const;

  // A failed node offers nothing until repaired. The caller releases the jobs on it first.
  void SetNodeUp(NodeId n, bool up);

  // Recomputes every aggregate from the node masks and compares it with the incremental table.
  // For tests: returns a description of the first mismatch.
  std::optional<std::string> Verify() const;

  // Hide a whole subtree from placement (backfill keeps later jobs out of a reservation this way).
  void Block(TopoId t);
  void Unblock(TopoId t);
  // Whether any subtree is hidden (between scheduler calls none is: hiding is undone in the pass).
  bool AnyHidden() const {
    return std::any_of(blocked_.begin(), blocked_.end(), [](std::uint8_t b) { return b != 0; });
  }
  // Whether t or a subtree above it is hidden.
  bool Hidden(TopoId t) const {
    for (; t >= 0; t = fleet_.topo(t).parent) {
      if (blocked_[static_cast<size_t>(t)] != 0) return true;
    }
    return false;
  }

  // `gpufleet sim --share-policy`: a gang that fits one node is placed by a share policy of the
  // openb study (sched/shared_gpu.h, PickNode) over this index's state - the node the policy
  // scores highest, ties to a seeded random rank of the nodes - instead of the index's best fit,
  // so that shares and whole-GPU jobs mix under one policy. A gang that no single node holds is
  // placed as before (whole GPUs only: shares always take one node). `typical`: FGD's typical pods.
  void UseSharePolicy(SharePolicy policy, std::vector<TypicalPod> typical, std::uint64_t seed);
  // The clustering tags of a job's allocation (0 for a share, else its GPUs on each node), counted
  // when the job starts (+1) and when it lets go of its GPUs (-1): once per job, whatever pieces
  // its GPUs were taken or released in. Nothing without a share policy.
  void CountTags(const Allocation& a, int delta);
  // For invariant checks: with a share policy, whether the tags equal those of `running` (the
  // allocations of the jobs holding GPUs); a description of the first difference, or nullopt.
  std::optional<std::string> VerifyTags(const std::vector<const Allocation*>& running) const;

 private:
  size_t Slot(TopoId t, Level d, ModelId m) const {
    return (static_cast<size_t>(t) * kLevels + static_cast<size_t>(d)) *
               static_cast<size_t>(models_) +
           static_cast<size_t>(m);
  }
  int NodeFree(NodeId n) const;
  void MarkDirty(NodeId n);
  void Propagate();
  void Recompute(TopoId t);
  // The deepest level at which one subtree under `within` has `gpus` free, or nullopt.
  std::optional<Level> DeepestFit(int gpus, ModelId m, Level constraint, TopoId within) const;
  TopoId DescendTo(TopoId from, Level target, int gpus, ModelId m) const;
  void Fill(TopoId t, int gpus, ModelId m, Allocation& out);
  void TakeAll(TopoId t, ModelId m, Allocation& out);
  std::optional<Allocation> PlaceByScan(const GangRequest& r, ModelId m, TopoId within);
  std::optional<Allocation> PlaceWhole(const GangRequest& r, TopoId within);
  std::optional<Allocation> PlaceByPolicy(const GangRequest& r, TopoId within);
  // A node as the share policies see it: free and total CPU and memory (0 where not modelled),
  // per-GPU room, and the clustering tags of what runs on it.
  SharedNode SharedNodeOf(NodeId n) const;

  bool UnderBlocked(NodeId n) const;
  // Topology nodes of level d below t (d at or below t's level): a contiguous id range.
  std::pair<TopoId, TopoId> DescendantsAt(TopoId t, Level d) const;

  const Fleet& fleet_;
  int models_;
  std::vector<std::int32_t> table_;
  std::vector<std::int32_t> capacity_;
  std::vector<std::uint64_t> free_mask_;  // GPUs entirely free
  std::vector<std::uint64_t>
      partial_mask_;                    // GPUs shared and not full; milli_free_ holds their room
  std::vector<std::int64_t> gpu_base_;  // first slot of each node in milli_free_
  std::vector<std::uint16_t> milli_free_;
  std::vector<std::int64_t> cpu_free_, mem_free_;
  std::vector<std::uint8_t> up_;
  std::vector<std::uint8_t> blocked_;  // per topology node
  std::vector<std::uint8_t> dirty_;    // per topology node, during a bulk change
  std::array<std::vector<TopoId>, kLevels> dirty_by_level_;
  std::vector<TopoId> scratch_children_;
  struct SharePolicyState {
    SharePolicy policy = SharePolicy::kBestFit;
    std::vector<TypicalPod> typical;
    Rng rng{0};
    std::vector<int> rank;                 // per node: ties go to the lowest
    std::vector<std::array<int, 9>> tags;  // per node: running pods by clustering tag
    int max_node_gpus = 0;
  };
  std::unique_ptr<SharePolicyState> share_;
};

}  // namespace gpufleet
