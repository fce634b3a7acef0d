#include "sched/capacity_index.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cmath>
#include <numeric>
#include <span>

#include "sched/gpu_fit.h"

namespace gpufleet {
namespace {

std::uint64_t FullMask(int gpus) {
  return gpus >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << gpus) - 1;
}

// The `count` lowest set bits of `mask`.
std::uint64_t LowestBits(std::uint64_t mask, int count) {
  std::uint64_t out = 0;
  for (int i = 0; i < count; ++i) {
    const std::uint64_t bit = mask & (~mask + 1);
    out |= bit;
    mask ^= bit;
  }
  return out;
}

}  // namespace

CapacityIndex::CapacityIndex(const Fleet& fleet)
    : fleet_(fleet), models_(std::max<int>(1, static_cast<int>(fleet.gpu_models().size()))) {
  const size_t topo_count = fleet.topo().size();
  table_.assign(topo_count * kLevels * static_cast<size_t>(models_), 0);
  blocked_.assign(topo_count, 0);
  dirty_.assign(topo_count, 0);
  const int nodes = fleet.num_nodes();
  free_mask_.resize(static_cast<size_t>(nodes));
  partial_mask_.assign(static_cast<size_t>(nodes), 0);
  gpu_base_.assign(static_cast<size_t>(nodes) + 1, 0);
  cpu_free_.resize(static_cast<size_t>(nodes));
  mem_free_.resize(static_cast<size_t>(nodes));
  for (NodeId n = 0; n < nodes; ++n) {
    gpu_base_[static_cast<size_t>(n) + 1] = gpu_base_[static_cast<size_t>(n)] + fleet.NodeGpus(n);
    const NodeType& t = fleet.node_types()[static_cast<size_t>(fleet.NodeTypeOf(n))];
    cpu_free_[static_cast<size_t>(n)] = t.cpu_cores > 0 ? t.cpu_milli() : kUnmodelled;
    mem_free_[static_cast<size_t>(n)] = t.memory_gb > 0 ? t.memory_mib() : kUnmodelled;
  }
  milli_free_.assign(static_cast<size_t>(gpu_base_.back()), 0);
  up_.assign(static_cast<size_t>(nodes), 1);
  for (NodeId n = 0; n < nodes; ++n) {
    free_mask_[static_cast<size_t>(n)] = FullMask(fleet.NodeGpus(n));
    table_[Slot(fleet.NodeTopo(n), Level::kNode, fleet.NodeModel(n))] = fleet.NodeGpus(n);
  }
  // Breadth-first order puts every child after its parent: one backward sweep fills the table.
  for (TopoId t = fleet.LevelBegin(Level::kNode) - 1; t >= 0; --t) Recompute(t);
  capacity_.assign(static_cast<size_t>(kLevels * models_), 0);
  for (int d = 0; d < kLevels; ++d) {
    for (ModelId m = 0; m < models_; ++m) {
      capacity_[static_cast<size_t>(d * models_ + m)] = MostFree(0, static_cast<Level>(d), m);
    }
  }
}

std::int64_t CapacityIndex::FreeGpus() const {
  std::int64_t total = 0;
  for (ModelId m = 0; m < models_; ++m) total += Free(0, m);
  return total;
}

int CapacityIndex::NodeFree(NodeId n) const {
  return up_[static_cast<size_t>(n)] ? std::popcount(free_mask_[static_cast<size_t>(n)]) : 0;
}

void CapacityIndex::MarkDirty(NodeId n) {
  const TopoId t = fleet_.NodeTopo(n);
  table_[Slot(t, Level::kNode, fleet_.NodeModel(n))] = NodeFree(n);
  const TopoId parent = fleet_.topo(t).parent;
  if (!dirty_[static_cast<size_t>(parent)]) {
    dirty_[static_cast<size_t>(parent)] = 1;
    dirty_by_level_[static_cast<size_t>(Level::kDomain)].push_back(parent);
  }
}

void CapacityIndex::Propagate() {
  for (int l = static_cast<int>(Level::kDomain); l >= 0; --l) {
    auto& list = dirty_by_level_[static_cast<size_t>(l)];
    for (TopoId t : list) {
      Recompute(t);
      dirty_[static_cast<size_t>(t)] = 0;
      const TopoId parent = fleet_.topo(t).parent;
      if (parent >= 0 && !dirty_[static_cast<size_t>(parent)]) {
        dirty_[static_cast<size_t>(parent)] = 1;
        dirty_by_level_[static_cast<size_t>(l - 1)].push_back(parent);
      }
    }
    list.clear();
  }
}

void CapacityIndex::Recompute(TopoId t) {
  const TopoNode& tn = fleet_.topo(t);
  const int lt = static_cast<int>(tn.level);
  for (ModelId m = 0; m < models_; ++m) {
    int sum = 0;
    int best[kLevels] = {0, 0, 0, 0, 0, 0};
    for (TopoId c = tn.first_child; c < tn.first_child + tn.num_children; ++c) {
      if (blocked_[static_cast<size_t>(c)]) continue;
      const std::int32_t* row = &table_[Slot(c, Level::kFleet, m)];
      sum += row[static_cast<size_t>((lt + 1) * models_)];
      for (int d = lt + 1; d < kLevels; ++d) {
        best[d] = std::max(best[d], row[static_cast<size_t>(d * models_)]);
      }
    }
    table_[Slot(t, tn.level, m)] = sum;
    for (int d = lt + 1; d < kLevels; ++d) table_[Slot(t, static_cast<Level>(d), m)] = best[d];
  }
}

std::optional<Level> CapacityIndex::DeepestFit(int gpus, ModelId m, Level constraint,
                                               TopoId within) const {
  const int top =
      std::max(static_cast<int>(constraint), static_cast<int>(fleet_.topo(within).level));
  for (int d = kLevels - 1; d >= top; --d) {
    if (MostFree(within, static_cast<Level>(d), m) >= gpus) return static_cast<Level>(d);
  }
  return std::nullopt;
}

TopoId CapacityIndex::DescendTo(TopoId from, Level target, int gpus, ModelId m) const {
  TopoId cur = from;
  while (fleet_.topo(cur).level < target) {
    const TopoNode& tn = fleet_.topo(cur);
    TopoId pick = -1;
    int pick_free = 0;
    for (TopoId c = tn.first_child; c < tn.first_child + tn.num_children; ++c) {
      if (blocked_[static_cast<size_t>(c)] || MostFree(c, target, m) < gpus) continue;
      // Among the children that can host the gang, the most occupied one: packing keeps large
      // empty subtrees free for large gangs (best fit).
      const int free = Free(c, m);
      if (pick < 0 || free < pick_free) {
        pick = c;
        pick_free = free;
      }
    }
    assert(pick >= 0);
    cur = pick;
  }
  return cur;
}

void CapacityIndex::TakeAll(TopoId t, ModelId m, Allocation& out) {
  const TopoNode& tn = fleet_.topo(t);
  if (tn.level >= Level::kDomain) {
    auto [first, last] = fleet_.NodeRange(t);
    for (NodeId n = first; n < last; ++n) {
      if (fleet_.NodeModel(n) != m || !up_[static_cast<size_t>(n)]) continue;
      const std::uint64_t mask = free_mask_[static_cast<size_t>(n)];
      if (mask == 0) continue;
      out.nodes.push_back({n, mask});
      free_mask_[static_cast<size_t>(n)] = 0;
      MarkDirty(n);
    }
    return;
  }
  for (TopoId c = tn.first_child; c < tn.first_child + tn.num_children; ++c) {
    if (!blocked_[static_cast<size_t>(c)] && Free(c, m) > 0) TakeAll(c, m, out);
  }
}

void CapacityIndex::Fill(TopoId t, int gpus, ModelId m, Allocation& out) {
  // Go down to the smallest subtree under t that holds the whole request...
  const std::optional<Level> d = DeepestFit(gpus, m, fleet_.topo(t).level, t);
  assert(d.has_value());
  t = DescendTo(t, *d, gpus, m);
  const TopoNode& tn = fleet_.topo(t);
  if (tn.level == Level::kNode) {
    const NodeId n = fleet_.TopoToNode(t);
    const std::uint64_t take = LowestBits(free_mask_[static_cast<size_t>(n)], gpus);
    out.nodes.push_back({n, take});
    free_mask_[static_cast<size_t>(n)] &= ~take;
    MarkDirty(n);
    return;
  }
  if (Free(t, m) == gpus) {
    TakeAll(t, m, out);
    return;
  }
  // ...where no single child suffices: span as few children as possible, largest first, and
  // place the remainder by best fit into the tightest child that holds it. The children are
  // chosen first and taken in id order afterwards, so that the allocation comes out sorted by
  // node id without sorting it.
  const size_t base = scratch_children_.size();
  for (TopoId c = tn.first_child; c < tn.first_child + tn.num_children; ++c) {
    if (!blocked_[static_cast<size_t>(c)] && Free(c, m) > 0) scratch_children_.push_back(c);
  }
  auto begin = scratch_children_.begin() + static_cast<std::ptrdiff_t>(base);
  std::stable_sort(begin, scratch_children_.end(),
                   [&](TopoId a, TopoId b) { return Free(a, m) > Free(b, m); });
  int remaining = gpus;
  size_t whole = 0;  // children [base, base + whole) are taken entirely
  TopoId partial = -1;
  for (size_t i = base; remaining > 0; ++i) {
    assert(i < scratch_children_.size());
    const TopoId c = scratch_children_[i];
    if (Free(c, m) >= remaining) {
      // The tightest child that holds the remainder; among equally tight ones the lowest id
      // (the sort is stable, so the first of a run of equal counts).
      size_t j = i;
      while (j + 1 < scratch_children_.size() && Free(scratch_children_[j + 1], m) >= remaining)
        ++j;
      const int tightest = Free(scratch_children_[j], m);
      while (j > i && Free(scratch_children_[j - 1], m) == tightest) --j;
      partial = scratch_children_[j];
      break;
    }
    remaining -= Free(c, m);
    ++whole;
  }
  std::vector<TopoId> chosen(scratch_children_.begin() + static_cast<std::ptrdiff_t>(base),
                             scratch_children_.begin() + static_cast<std::ptrdiff_t>(base + whole));
  scratch_children_.resize(base);  // the recursion below reuses the scratch space
  if (partial >= 0) chosen.push_back(partial);
  std::sort(chosen.begin(), chosen.end());
  for (TopoId c : chosen) {
    if (c == partial) {
      Fill(c, remaining, m, out);
    } else {
      TakeAll(c, m, out);
    }
  }
}

std::optional<Allocation> CapacityIndex::Place(int gpus, ModelId model, Level constraint,
                                               TopoId within) {
  if (Hidden(within)) return std::nullopt;
  GangRequest r;
  r.gpus = gpus;
  r.model = model;
  r.constraint = constraint;
  return PlaceWhole(r, within);
}

std::optional<Allocation> CapacityIndex::PlaceWhole(const GangRequest& r, TopoId within) {
  const int gpus = r.gpus;
  if (gpus <= 0) return std::nullopt;
  ModelId best_model = kAnyModel;
  Level best_level = Level::kFleet;
  for (ModelId m = 0; m < models_; ++m) {
    if (!r.Allows(m)) continue;
    const std::optional<Level> d = DeepestFit(gpus, m, r.constraint, within);
    if (d && (best_model == kAnyModel || *d > best_level)) {
      best_model = m;
      best_level = *d;
    }
  }
  if (best_model == kAnyModel) return std::nullopt;
  Allocation a;
  a.model = best_model;
  const TopoId s = DescendTo(within, best_level, gpus, best_model);
  Fill(s, gpus, best_model, a);
  Propagate();
  assert(std::is_sorted(a.nodes.begin(), a.nodes.end(),
                        [](const NodeGpus& x, const NodeGpus& y) { return x.node < y.node; }));
  return a;
}

void CapacityIndex::Release(const Allocation& a) {
  for (const NodeGpus& ng : a.nodes) {
    const auto n = static_cast<size_t>(ng.node);
    assert((free_mask_[n] & ng.mask) == 0);
    if (a.milli == kMilliPerGpu) {
      free_mask_[n] |= ng.mask;
    } else {
      for (std::uint64_t m = ng.mask; m != 0; m &= m - 1) {
        const int g = std::countr_zero(m);
        const std::uint64_t bit = std::uint64_t{1} << g;
        std::uint16_t& room = milli_free_[static_cast<size_t>(gpu_base_[n] + g)];
        room = static_cast<std::uint16_t>((partial_mask_[n] & bit ? room : 0) + a.milli);
        if (room == kMilliPerGpu) {
          partial_mask_[n] &= ~bit;
          free_mask_[n] |= bit;
        } else {
          partial_mask_[n] |= bit;
        }
      }
    }
    const auto gpus = std::popcount(ng.mask);
    if (cpu_free_[n] < kUnmodelled) cpu_free_[n] += a.cpu_per_gpu * gpus;
    if (mem_free_[n] < kUnmodelled) mem_free_[n] += a.memory_per_gpu * gpus;
    MarkDirty(ng.node);
  }
  Propagate();
}

void CapacityIndex::Take(const Allocation& a) {
  for (const NodeGpus& ng : a.nodes) {
    const auto n = static_cast<size_t>(ng.node);
    if (a.milli == kMilliPerGpu) {
      assert((free_mask_[n] & ng.mask) == ng.mask);
      free_mask_[n] &= ~ng.mask;
    } else {
      for (std::uint64_t m = ng.mask; m != 0; m &= m - 1) {
        const int g = std::countr_zero(m);
        const std::uint64_t bit = std::uint64_t{1} << g;
        std::uint16_t& room = milli_free_[static_cast<size_t>(gpu_base_[n] + g)];
        if (free_mask_[n] & bit) {
          free_mask_[n] &= ~bit;
          room = kMilliPerGpu;
        }
        assert(room >= a.milli);
        room = static_cast<std::uint16_t>(room - a.milli);
        if (room == 0) {
          partial_mask_[n] &= ~bit;
        } else {
          partial_mask_[n] |= bit;
        }
      }
    }
    const auto gpus = std::popcount(ng.mask);
    if (cpu_free_[n] < kUnmodelled) cpu_free_[n] -= a.cpu_per_gpu * gpus;
    if (mem_free_[n] < kUnmodelled) mem_free_[n] -= a.memory_per_gpu * gpus;
    MarkDirty(ng.node);
  }
  Propagate();
}

bool CapacityIndex::CanTake(const Allocation& a) const {
  for (const NodeGpus& ng : a.nodes) {
    const auto n = static_cast<size_t>(ng.node);
    if (!up_[n]) return false;
    for (std::uint64_t m = ng.mask; m != 0; m &= m - 1) {
      if (GpuFreeMilli(ng.node, std::countr_zero(m)) < a.milli) return false;
    }
    const auto gpus = std::popcount(ng.mask);
    if (cpu_free_[n] < a.cpu_per_gpu * gpus || mem_free_[n] < a.memory_per_gpu * gpus) return false;
  }
  return true;
}

int CapacityIndex::GpuFreeMilli(NodeId n, int g) const {
  const auto i = static_cast<size_t>(n);
  if (!up_[i]) return 0;
  const std::uint64_t bit = std::uint64_t{1} << g;
  if (free_mask_[i] & bit) return kMilliPerGpu;
  if (partial_mask_[i] & bit) return milli_free_[static_cast<size_t>(gpu_base_[i] + g)];
  return 0;
}

bool CapacityIndex::UnderBlocked(NodeId n) const {
  for (int l = static_cast<int>(Level::kSite); l <= static_cast<int>(Level::kDomain); ++l) {
    if (blocked_[static_cast<size_t>(fleet_.Ancestor(n, static_cast<Level>(l)))]) return true;
  }
  return false;
}

std::pair<TopoId, TopoId> CapacityIndex::DescendantsAt(TopoId t, Level d) const {
  TopoId first = t, last = t;
  while (fleet_.topo(first).level < d) {
    first = fleet_.topo(first).first_child;
    const TopoNode& l = fleet_.topo(last);
    last = l.first_child + l.num_children - 1;
  }
  return {first, last + 1};
}

std::optional<Allocation> CapacityIndex::Place(const GangRequest& r, TopoId within) {
  if (r.gpus <= 0 || r.milli <= 0 || r.milli > kMilliPerGpu || Hidden(within)) return std::nullopt;
  std::optional<Allocation> a;
  if (share_ && r.gpus <= share_->max_node_gpus) {
    a = PlaceByPolicy(r, within);
    if (!a && r.milli < kMilliPerGpu) return std::nullopt;  // shares take one node
  }
  if (!a && r.WholeGpusOnly()) a = PlaceWhole(r, within);
  for (ModelId m = 0; !a && !r.WholeGpusOnly() && m < models_; ++m) {
    if (r.Allows(m)) a = PlaceByScan(r, m, within);
  }
  return a;
}

namespace {

// The clustering tag of what a job runs on one node: 0 for a share, else its GPUs there (up to 8).
size_t ClusteringTag(const Allocation& a, const NodeGpus& ng) {
  return a.milli < kMilliPerGpu ? 0 : static_cast<size_t>(std::min(std::popcount(ng.mask), 8));
}

}  // namespace

void CapacityIndex::UseSharePolicy(SharePolicy policy, std::vector<TypicalPod> typical,
                                   std::uint64_t seed) {
  share_ = std::make_unique<SharePolicyState>();
  share_->policy = policy;
  share_->typical = std::move(typical);
  share_->rng = Rng(seed);
  const auto nodes = static_cast<size_t>(fleet_.num_nodes());
  // Node tie-break ranks: a random permutation, as the openb study draws them.
  share_->rank.resize(nodes);
  std::iota(share_->rank.begin(), share_->rank.end(), 0);
  for (size_t i = nodes; i > 1; --i) {
    std::swap(share_->rank[i - 1], share_->rank[share_->rng.Below(i)]);
  }
  share_->tags.assign(nodes, {});
  for (NodeId n = 0; n < fleet_.num_nodes(); ++n) {
    share_->max_node_gpus = std::max(share_->max_node_gpus, fleet_.NodeGpus(n));
  }
}

void CapacityIndex::CountTags(const Allocation& a, int delta) {
  if (!share_) return;
  for (const NodeGpus& ng : a.nodes) {
    share_->tags[static_cast<size_t>(ng.node)][ClusteringTag(a, ng)] += delta;
  }
}

std::optional<std::string> CapacityIndex::VerifyTags(
    const std::vector<const Allocation*>& running) const {
  if (!share_) return std::nullopt;
  std::vector<std::array<int, 9>> expected(share_->tags.size());
  for (const Allocation* a : running) {
    for (const NodeGpus& ng : a->nodes) {
      ++expected[static_cast<size_t>(ng.node)][ClusteringTag(*a, ng)];
    }
  }
  for (size_t n = 0; n < expected.size(); ++n) {
    if (expected[n] != share_->tags[n]) {
      return "share policy: node " + std::to_string(n) + "'s clustering tags are off";
    }
  }
  return std::nullopt;
}

SharedNode CapacityIndex::SharedNodeOf(NodeId n) const {
  const auto i = static_cast<size_t>(n);
  const NodeType& type = fleet_.node_types()[static_cast<size_t>(fleet_.NodeTypeOf(n))];
  SharedNode node;
  // CPU and memory that are not modelled count as none, so that they weigh in no score.
  node.cpu_capacity = type.cpu_milli();
  node.memory_capacity = type.memory_mib();
  node.cpu_milli = node.cpu_capacity > 0 ? cpu_free_[i] : 0;
  node.memory_mib = node.memory_capacity > 0 ? mem_free_[i] : 0;
  node.model = fleet_.NodeModel(n);
  node.gpu_free.resize(static_cast<size_t>(fleet_.NodeGpus(n)));
  for (int g = 0; g < fleet_.NodeGpus(n); ++g)
    node.gpu_free[static_cast<size_t>(g)] = GpuFreeMilli(n, g);
  node.tag_counts.assign(share_->tags[i].begin(), share_->tags[i].end());
  return node;
}

std::optional<Allocation> CapacityIndex::PlaceByPolicy(const GangRequest& r, TopoId within) {
  const auto [nb, ne] = fleet_.NodeRange(within);
  PodRequest pod;
  pod.gpus = r.gpus;
  pod.milli = r.milli;
  pod.cpu_milli = r.cpu_per_gpu * r.gpus;
  pod.memory_mib = r.memory_per_gpu * r.gpus;
  std::vector<SharedNode> nodes;
  std::vector<PodRequest> pods;  // per node: CPU and memory it does not model are not asked of it
  std::vector<NodeId> ids;
  std::vector<int> rank;
  for (NodeId n = nb; n < ne; ++n) {
    const auto i = static_cast<size_t>(n);
    if (!up_[i] || !r.Allows(fleet_.NodeModel(n)) || UnderBlocked(n)) continue;
    nodes.push_back(SharedNodeOf(n));
    pods.push_back(pod);
    if (nodes.back().cpu_capacity == 0) pods.back().cpu_milli = 0;
    if (nodes.back().memory_capacity == 0) pods.back().memory_mib = 0;
    ids.push_back(n);
    rank.push_back(share_->rank[i]);
  }
  auto at = [](auto& v, int k) -> auto& { return v[static_cast<size_t>(k)]; };
  const SharePick pick = PickNode(
      share_->policy, static_cast<int>(nodes.size()), pod, rank.data(), share_->rng,
      [&](int k) { return Feasible(at(nodes, k), at(pods, k)); },
      [&](int k) { return Score(share_->policy, at(nodes, k), at(pods, k), share_->typical); },
      [&](int k, int g) { return at(nodes, k).gpu_free[static_cast<size_t>(g)]; },
      [&](int k) { return at(nodes, k).Gpus(); });
  if (pick.node < 0) return std::nullopt;
  const NodeId node = ids[static_cast<size_t>(pick.node)];
  Allocation a;
  a.model = fleet_.NodeModel(node);
  a.milli = r.milli;
  a.cpu_per_gpu = r.cpu_per_gpu;
  a.memory_per_gpu = r.memory_per_gpu;
  std::uint64_t mask = 0;
  for (int g : pick.placement.gpus) mask |= std::uint64_t{1} << g;
  a.nodes.push_back({node, mask});
  Take(a);
  return a;
}

std::optional<Allocation> CapacityIndex::PlaceByScan(const GangRequest& r, ModelId m,
                                                     TopoId within) {
  const auto [nb, ne] = fleet_.NodeRange(within);
  // GPUs of each node this request could use: with room for its share, as far as the node's free
  // CPU and memory go.
  std::vector<int> usable(static_cast<size_t>(ne - nb), 0);
  for (NodeId n = nb; n < ne; ++n) {
    const auto i = static_cast<size_t>(n);
    if (fleet_.NodeModel(n) != m || !up_[i] || UnderBlocked(n)) continue;
    int c = 0;
    for (int g = 0; g < fleet_.NodeGpus(n); ++g) c += GpuFreeMilli(n, g) >= r.milli ? 1 : 0;
    if (r.cpu_per_gpu > 0)
      c = static_cast<int>(std::min<std::int64_t>(c, cpu_free_[i] / r.cpu_per_gpu));
    if (r.memory_per_gpu > 0)
      c = static_cast<int>(std::min<std::int64_t>(c, mem_free_[i] / r.memory_per_gpu));
    usable[static_cast<size_t>(n - nb)] = c;
  }
  // The GPUs of node n to take (sched/gpu_fit.h: the tightest that fit) and the room they leave.
  auto pick = [&](NodeId n, int count) {
    std::array<int, 64> room{};  // a node's GPUs are bits of a 64-bit mask
    const int gpus = fleet_.NodeGpus(n);
    for (int g = 0; g < gpus; ++g) room[static_cast<size_t>(g)] = GpuFreeMilli(n, g);
    std::uint64_t mask = 0;
    int leftover = 0;
    for (int g : TightestGpus(std::span(room.data(), static_cast<size_t>(gpus)), r.milli, count)) {
      mask |= std::uint64_t{1} << g;
      leftover += room[static_cast<size_t>(g)] - r.milli;
    }
    return std::make_pair(mask, leftover);
  };
  Allocation a;
  a.model = m;
  a.milli = r.milli;
  a.cpu_per_gpu = r.cpu_per_gpu;
  a.memory_per_gpu = r.memory_per_gpu;
  if (r.milli < kMilliPerGpu) {
    // Shares of GPUs go on one node, the one they fill tightest; ties to the lowest id.
    NodeId best = -1;
    int best_leftover = 0;
    for (NodeId n = nb; n < ne; ++n) {
      if (usable[static_cast<size_t>(n - nb)] < r.gpus) continue;
      const int leftover = pick(n, r.gpus).second;
      if (best < 0 || leftover < best_leftover) {
        best = n;
        best_leftover = leftover;
      }
    }
    if (best < 0) return std::nullopt;
    a.nodes.push_back({best, pick(best, r.gpus).first});
    Take(a);
    return a;
  }
  // Whole GPUs: the deepest level at or below the constraint with a subtree that holds the gang,
  // and there the subtree with the fewest usable GPUs that suffice (best fit).
  std::vector<std::int64_t> prefix(usable.size() + 1, 0);
  for (size_t i = 0; i < usable.size(); ++i) prefix[i + 1] = prefix[i] + usable[i];
  const int top =
      std::max(static_cast<int>(r.constraint), static_cast<int>(fleet_.topo(within).level));
  TopoId target = -1;
  for (int d = kLevels - 1; d >= top && target < 0; --d) {
    std::int64_t best_sum = 0;
    const auto [tb, te] = DescendantsAt(within, static_cast<Level>(d));
    for (TopoId t = tb; t < te; ++t) {
      const auto [first_node, last_node] = fleet_.NodeRange(t);
      const std::int64_t sum = prefix[static_cast<size_t>(last_node - nb)] -
                               prefix[static_cast<size_t>(first_node - nb)];
      if (sum >= r.gpus && (target < 0 || sum < best_sum)) {
        target = t;
        best_sum = sum;
      }
    }
  }
  if (target < 0) return std::nullopt;
  // Inside it: nodes with the most usable GPUs first; the remainder on the tightest node that
  // holds it.
  const auto [first_node, last_node] = fleet_.NodeRange(target);
  std::vector<NodeId> order;
  for (NodeId n = first_node; n < last_node; ++n) {
    if (usable[static_cast<size_t>(n - nb)] > 0) order.push_back(n);
  }
  // (A copy of the binding: lambdas may not capture structured bindings before clang 16.)
  const NodeId base = nb;
  std::stable_sort(order.begin(), order.end(), [&usable, base](NodeId x, NodeId y) {
    return usable[static_cast<size_t>(x - base)] > usable[static_cast<size_t>(y - base)];
  });
  int remaining = r.gpus;
  std::vector<std::pair<NodeId, int>> takes;
  for (size_t i = 0; i < order.size() && remaining > 0; ++i) {
    const int u = usable[static_cast<size_t>(order[i] - nb)];
    if (u >= remaining) {
      size_t j = i;
      while (j + 1 < order.size() && usable[static_cast<size_t>(order[j + 1] - nb)] >= remaining)
        ++j;
      takes.emplace_back(order[j], remaining);
      remaining = 0;
      break;
    }
    takes.emplace_back(order[i], u);
    remaining -= u;
  }
  std::sort(takes.begin(), takes.end());
  for (const auto& [n, count] : takes) a.nodes.push_back({n, pick(n, count).first});
  Take(a);
  return a;
}

void CapacityIndex::SetNodeUp(NodeId n, bool up) {
  up_[static_cast<size_t>(n)] = up ? 1 : 0;
  MarkDirty(n);
  Propagate();
}

void CapacityIndex::Block(TopoId t) {
  blocked_[static_cast<size_t>(t)] = 1;
  for (TopoId p = fleet_.topo(t).parent; p >= 0; p = fleet_.topo(p).parent) Recompute(p);
}

void CapacityIndex::Unblock(TopoId t) {
  blocked_[static_cast<size_t>(t)] = 0;
  for (TopoId p = fleet_.topo(t).parent; p >= 0; p = fleet_.topo(p).parent) Recompute(p);
}

}  // namespace gpufleet
