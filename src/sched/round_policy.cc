#include "sched/round_policy.h"

#include <algorithm>

namespace gpufleet {
namespace {

// First come first served in workload order (the study's CSV order is by submission time).
class Fifo final : public RoundPolicy {
 public:
  explicit Fifo(bool backfill) : backfill_(backfill) {}

  Result<std::vector<GpuList>> Schedule(SimTime /*now*/, const std::vector<RoundJobView>& active,
                                        const RoundCluster& cluster) override {
    std::vector<GpuList> out(active.size());
    std::vector<const GpuList*> kept;
    int free = cluster.total_gpus();
    for (size_t i = 0; i < active.size(); ++i) {
      if (active[i].allocation->empty()) continue;
      out[i] = *active[i].allocation;  // running jobs are never preempted
      kept.push_back(active[i].allocation);
      free -= static_cast<int>(out[i].size());
    }
    std::vector<int> free_per_node = FreeGpusPerNode(cluster, kept);
    for (size_t i = 0; i < active.size(); ++i) {
      if (!out[i].empty()) continue;
      if (active[i].replicas <= free) {
        out[i] = TakeMostFree(free_per_node, active[i].replicas);
        free -= active[i].replicas;
      } else if (!backfill_) {
        break;  // head-of-line blocking
      }
    }
    return out;
  }

 private:
  bool backfill_;
};

}  // namespace

std::optional<RoundPolicyKind> ParseRoundPolicy(std::string_view name) {
  if (name == "tiresias") return RoundPolicyKind::kTiresias;
  if (name == "optimus") return RoundPolicyKind::kOptimus;
  if (name == "fifo") return RoundPolicyKind::kFifo;
  if (name == "fifo-backfill") return RoundPolicyKind::kFifoBackfill;
  if (name == "las") return RoundPolicyKind::kLas;
  return std::nullopt;
}

const char* RoundPolicyName(RoundPolicyKind kind) {
  switch (kind) {
    case RoundPolicyKind::kTiresias:
      return "tiresias";
    case RoundPolicyKind::kOptimus:
      return "optimus";
    case RoundPolicyKind::kFifo:
      return "fifo";
    case RoundPolicyKind::kFifoBackfill:
      return "fifo-backfill";
    case RoundPolicyKind::kLas:
      return "las";
  }
  return "?";
}

const char* RoundPolicyNames() { return "tiresias, optimus, fifo, fifo-backfill, las"; }

std::unique_ptr<RoundPolicy> MakeFifo(bool backfill) { return std::make_unique<Fifo>(backfill); }

std::unique_ptr<RoundPolicy> MakeRoundPolicy(RoundPolicyKind kind, const RoundCluster& cluster) {
  switch (kind) {
    case RoundPolicyKind::kTiresias:
      return MakeTiresias({16 * kHour});  // 2 queues, 16 GPU-hours (§4.1), in GPU-ms
    case RoundPolicyKind::kOptimus:
      return MakeOptimus(cluster.gpus_per_node);
    case RoundPolicyKind::kFifo:
      return MakeFifo(false);
    case RoundPolicyKind::kFifoBackfill:
      return MakeFifo(true);
    case RoundPolicyKind::kLas:
      return MakeTiresias({});
  }
  return nullptr;
}

std::vector<int> FreeGpusPerNode(const RoundCluster& cluster,
                                 const std::vector<const GpuList*>& kept) {
  std::vector<int> free(static_cast<size_t>(cluster.nodes), cluster.gpus_per_node);
  for (const GpuList* gpus : kept) {
    for (int node : *gpus) --free[static_cast<size_t>(node)];
  }
  return free;
}

GpuList TakeMostFree(std::vector<int>& free_per_node, int count) {
  GpuList out;
  out.reserve(static_cast<size_t>(count));
  while (static_cast<int>(out.size()) < count) {
    // max_element returns the first maximum: the lowest node id on ties.
    const auto node = std::max_element(free_per_node.begin(), free_per_node.end());
    const int take = std::min(*node, count - static_cast<int>(out.size()));
    if (take <= 0) break;  // not enough free GPUs: the caller's admission is wrong
    out.insert(out.end(), static_cast<size_t>(take),
               static_cast<int>(node - free_per_node.begin()));
    *node -= take;
  }
  return out;
}

}  // namespace gpufleet
