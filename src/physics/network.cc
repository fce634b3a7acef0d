#include "physics/network.h"

#include <algorithm>
#include <array>
#include <bit>
#include <numeric>

namespace gpufleet {
namespace {

// The uplinks a flow may cross, innermost first: leaving a subtree of this level for its parent.
constexpr std::array<Level, 4> kUplinkLevels = {Level::kDomain, Level::kLeaf, Level::kPod,
                                                Level::kSite};

// Walks an allocation's GPUs in node order: the node of rank r, for non-decreasing r.
class RankCursor {
 public:
  explicit RankCursor(const Allocation& allocation) : allocation_(allocation) {}
  NodeId NodeAt(std::int64_t rank) {
    while (rank - first_rank_ >= GpusOfEntry()) {
      first_rank_ += GpusOfEntry();
      ++entry_;
    }
    return allocation_.nodes[entry_].node;
  }

 private:
  int GpusOfEntry() const { return std::popcount(allocation_.nodes[entry_].mask); }
  const Allocation& allocation_;
  size_t entry_ = 0;
  std::int64_t first_rank_ = 0;
};

// Ring flows leaving one subtree of an uplink level, against the job's GPUs in it: each GPU's
// fair share of the uplink is its NIC over the oversubscription, so the subtree's flows, weighted
// by its oversubscription, over its GPUs is the slowdown of its uplink.
struct UplinkLoad {
  TopoId subtree = -1;
  std::int64_t gpus = 0;
  double weighted_flows = 0;
  double worst = 0;  // over the subtrees already left
  void Close() {
    if (gpus > 0) worst = std::max(worst, weighted_flows / static_cast<double>(gpus));
  }
};

// Each rank sends to the next member of its group in a ring (the last to the first), the pattern
// of NCCL's ring collectives; every group of the dimension communicates at the same time.
GroupSpan SpanOfDimension(const Fleet& fleet, const Allocation& allocation, int size,
                          std::int64_t stride, std::int64_t ranks) {
  GroupSpan span;
  if (size <= 1) return span;
  RankCursor self(allocation), next(allocation), wrap(allocation);
  std::array<UplinkLoad, kUplinkLevels.size()> load;
  for (std::int64_t r = 0; r < ranks; ++r) {
    const NodeId a = self.NodeAt(r);
    const bool last = (r / stride) % size == size - 1;
    const NodeId b = last ? wrap.NodeAt(r - (size - 1) * stride) : next.NodeAt(r + stride);
    for (size_t i = 0; i < kUplinkLevels.size(); ++i) {
      const TopoId t = fleet.Ancestor(a, kUplinkLevels[i]);
      if (t != load[i].subtree) {
        load[i].Close();
        load[i].subtree = t;
        load[i].gpus = 0;
        load[i].weighted_flows = 0;
      }
      ++load[i].gpus;
    }
    if (a == b) continue;
    for (size_t i = 0; i < kUplinkLevels.size(); ++i) {
      const TopoId ta = fleet.Ancestor(a, kUplinkLevels[i]);
      const TopoId tb = fleet.Ancestor(b, kUplinkLevels[i]);
      if (ta == tb) break;  // same subtree here, and so at every level above
      const float oversub = fleet.topo(ta).uplink_oversubscription;
      load[i].weighted_flows += oversub;
      span.oversubscription =
          std::max({span.oversubscription, oversub, fleet.topo(tb).uplink_oversubscription});
      span.tier = std::max(span.tier, static_cast<Tier>(i + 1));
    }
  }
  for (UplinkLoad& l : load) {
    l.Close();
    span.congestion = std::max(span.congestion, l.worst);
  }
  return span;
}

double ScaleOutOf(const NodeType& type) {
  if (type.nic_gb_s_per_gpu > 0) return type.nic_gb_s_per_gpu;
  for (const NodeType& builtin : BuiltinNodeTypes()) {
    if (builtin.gpu == type.gpu && builtin.nic_gb_s_per_gpu > 0) return builtin.nic_gb_s_per_gpu;
  }
  return 12.5;
}

}  // namespace

const char* TierName(Tier tier) {
  switch (tier) {
    case Tier::kNvlink:
      return "nvlink";
    case Tier::kLeaf:
      return "leaf";
    case Tier::kPod:
      return "pod";
    case Tier::kSite:
      return "site";
    case Tier::kCrossSite:
      return "cross-site";
  }
  return "?";
}

double TierAlphaSeconds(Tier tier) {
  switch (tier) {
    case Tier::kNvlink:
      return 1e-6;
    case Tier::kLeaf:
      return 2e-6;
    case Tier::kPod:
      return 5e-6;
    case Tier::kSite:
      return 10e-6;
    case Tier::kCrossSite:
      return 1e-3;
  }
  return 0;
}

Result<PlacementSpans> SpansOf(const Fleet& fleet, const Allocation& allocation,
                               const Parallelism& parallel) {
  const std::int64_t ranks = parallel.Gpus();
  if (parallel.tp < 1 || parallel.cp < 1 || parallel.pp < 1 || parallel.dp < 1) {
    return Error{"every parallel degree (TP, CP, PP, DP) must be at least 1"};
  }
  if (allocation.Gpus() < ranks) {
    return Error{"the allocation holds " + std::to_string(allocation.Gpus()) +
                 " GPUs; TP x CP x PP x DP needs " + std::to_string(ranks)};
  }
  const std::int64_t tp = parallel.tp, cp = parallel.cp, pp = parallel.pp;
  PlacementSpans spans;
  spans.tp = SpanOfDimension(fleet, allocation, parallel.tp, 1, ranks);
  spans.cp = SpanOfDimension(fleet, allocation, parallel.cp, tp, ranks);
  spans.pp = SpanOfDimension(fleet, allocation, parallel.pp, tp * cp, ranks);
  // The domain of the allocation's first node sets how many DP ranks are meant to share one; a
  // fragmented allocation whose local groups still cross nodes shows it in dp_local_span's tier.
  const NodeType& type =
      fleet.node_types()[static_cast<size_t>(fleet.NodeTypeOf(allocation.nodes.front().node))];
  const int local =
      DataParallelRanksPerDomain(parallel, type.gpus_per_node * type.nodes_per_domain);
  spans.dp_local = local;
  spans.dp_local_span = SpanOfDimension(fleet, allocation, local, tp * cp * pp, ranks);
  spans.dp = SpanOfDimension(fleet, allocation, parallel.dp / local, tp * cp * pp * local, ranks);
  return spans;
}

int DataParallelRanksPerDomain(const Parallelism& parallel, int domain_gpus) {
  const std::int64_t inner = std::int64_t{parallel.tp} * parallel.cp * parallel.pp;
  if (domain_gpus < 1 || parallel.dp < 1 || inner >= domain_gpus || domain_gpus % inner != 0) {
    return 1;
  }
  return static_cast<int>(std::gcd(std::int64_t{parallel.dp}, domain_gpus / inner));
}

LinkFigures LinksOf(const Fleet& fleet, const Allocation& allocation) {
  LinkFigures links;
  int last_type = -1;
  ModelId last_model = kAnyModel;
  for (const NodeGpus& ng : allocation.nodes) {
    const int type = fleet.NodeTypeOf(ng.node);
    const ModelId model = fleet.NodeModel(ng.node);
    if (type == last_type && model == last_model) continue;
    last_type = type;
    last_model = model;
    const double scale_out = ScaleOutOf(fleet.node_types()[static_cast<size_t>(type)]) * 1e9;
    // The catalogue's NVLink figure is both directions together (H100: 900 GB/s = 450 each way).
    // A GPU without NVLink talks to its neighbours over PCIe: 16 GB/s (Gen3 x16, an assumption).
    const double nvlink_gb_s = fleet.gpu_models()[static_cast<size_t>(model)].nvlink_gb_s;
    const double nvlink = nvlink_gb_s > 0 ? nvlink_gb_s / 2 * 1e9 : 16e9;
    links.scale_out_bytes_s =
        links.scale_out_bytes_s == 0 ? scale_out : std::min(links.scale_out_bytes_s, scale_out);
    links.nvlink_bytes_s =
        links.nvlink_bytes_s == 0 ? nvlink : std::min(links.nvlink_bytes_s, nvlink);
  }
  return links;
}

double EffectiveBandwidth(const LinkFigures& links, const GroupSpan& span) {
  const double line = span.tier == Tier::kNvlink ? links.nvlink_bytes_s : links.scale_out_bytes_s;
  return line * kLinkEfficiency / span.congestion;
}

}  // namespace gpufleet
