// GPU sharing: nodes whose GPUs are divided in milli-GPUs (1000 = a whole GPU), with CPU and
// memory, and the placement policies studied by Weng et al. ("Beware of Fragmentation", ATC'23):
// random, dotprod, clustering, packing, bestfit and fgd (fragmentation gradient descent). Pure
// functions of node state and request; the authors' simulator is the specification followed here,
// including its integer truncations (docs/EXPERIMENTS.md, "The openb GPU-sharing placement study").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/catalog.h"
#include "util/rng.h"

namespace gpufleet {

struct SharedNode {
  std::int64_t cpu_milli = 0, memory_mib = 0;  // left
  std::int64_t cpu_capacity = 0, memory_capacity = 0;
  int model = -1;             // index of its GPU model label; -1 if none
  std::vector<int> gpu_free;  // milli-GPU free per GPU, 0..1000
  // GPU pods placed on it, by clustering tag: tag_counts[0] sharing pods, [k] k-GPU pods.
  std::vector<int> tag_counts = std::vector<int>(9, 0);

  int Gpus() const { return static_cast<int>(gpu_free.size()); }
  int FreeMilli() const;      // gL: sum of free milli over its GPUs
  int FullyFreeGpus() const;  // F: GPUs with all 1000 milli free
};

struct PodRequest {
  std::int64_t cpu_milli = 0, memory_mib = 0;
  int gpus = 0;             // k: 0 for a CPU-only pod
  int milli = 0;            // m: per GPU, 1..1000 (1000 for whole GPUs); 0 for CPU-only
  std::vector<int> models;  // allowed GPU models; empty: any
  bool Sharing() const { return gpus == 1 && milli < kMilliPerGpu; }
  std::int64_t DemandMilli() const { return static_cast<std::int64_t>(gpus) * milli; }
};

enum class SharePolicy { kRandom, kDotProd, kClustering, kPacking, kBestFit, kFgd };
const char* SharePolicyName(SharePolicy p);
std::optional<SharePolicy> ParseSharePolicy(std::string_view name);
std::vector<SharePolicy> AllSharePolicies();

// The kube-scheduler filter: CPU, memory, and for GPU pods an allowed model with k GPUs that each
// have at least m milli free.
bool Feasible(const SharedNode& n, const PodRequest& p);

// A typical pod of the target workload (FGD), with its share of the workload.
struct TypicalPod {
  PodRequest pod;
  double share = 0;
};

// Fragmentation (milli-GPU) of a node as seen by one typical pod, and weighted over all of them.
double FragmentFor(const SharedNode& n, const PodRequest& t);
double NodeFragment(const SharedNode& n, const std::vector<TypicalPod>& typical);

// A share policy's verdict on one node: its score and the GPUs the pod would take there. (Not
// a placement of the Pollux study, progress/application.h's GpusPerNode.)
struct NodeScore {
  int score = 0;
  std::vector<int> gpus;  // GPUs the pod takes (empty for CPU-only pods)
};

// Score of a feasible node (0..100) and the GPUs the pod would take there. Random scores every
// node 100 (the driver picks among them at random) and takes the lowest-index GPUs; bestfit returns
// its raw score (its min-max normalisation over feasible nodes preserves the order).
NodeScore Score(SharePolicy policy, const SharedNode& n, const PodRequest& p,
                const std::vector<TypicalPod>& typical);

// Applies a placement: subtracts CPU, memory and milli-GPUs, records the clustering tag.
void Bind(SharedNode& n, const PodRequest& p, const std::vector<int>& gpus);

// The node a share policy chooses for `pod` among `count` nodes, as Weng et al.'s scheduler does:
// among the feasible ones (`feasible(n)`), the highest score (`score(n)`: Score(policy, node n,
// pod, typical), which a caller may cache), ties to the lowest `rank[n]`; random takes a uniformly
// random feasible node and, for a share, a random GPU among those with room (`room(n, g)`: free
// milli of GPU g of node n; `gpus(n)`: its GPUs). The same function serves the openb study and
// `gpufleet sim --share-policy`, so both place alike on the same node states.
struct SharePick {
  int node = -1;  // -1: no node is feasible
  NodeScore placement;
};
template <typename Feasible, typename ScoreOf, typename Room, typename GpusOf>
SharePick PickNode(SharePolicy policy, int count, const PodRequest& pod, const int* rank, Rng& rng,
                   Feasible feasible, ScoreOf score, Room room, GpusOf gpus) {
  SharePick best;
  if (policy == SharePolicy::kRandom) {
    std::vector<int> candidates;
    for (int n = 0; n < count; ++n) {
      if (feasible(n)) candidates.push_back(n);
    }
    if (candidates.empty()) return best;
    best.node = candidates[rng.Below(candidates.size())];
    best.placement = score(best.node);
    if (pod.Sharing()) {
      std::vector<int> fit;
      for (int g = 0; g < gpus(best.node); ++g) {
        if (room(best.node, g) >= pod.milli) fit.push_back(g);
      }
      best.placement.gpus = {fit[rng.Below(fit.size())]};
    }
    return best;
  }
  for (int n = 0; n < count; ++n) {
    if (!feasible(n)) continue;
    NodeScore p = score(n);
    if (best.node < 0 || p.score > best.placement.score ||
        (p.score == best.placement.score && rank[n] < rank[best.node])) {
      best.node = n;
      best.placement = std::move(p);
    }
  }
  return best;
}

// The typical pods of a workload for FGD (Weng et al.): pod shapes (CPU, milli, GPUs, and
// `label`, the allowed models as written) by how many pods have them, the most common first,
// until they cover 95% of the pods; each with its share of those covered.
struct LabelledPod {
  PodRequest request;
  std::string label;
};
std::vector<TypicalPod> TypicalPodsOf(const std::vector<LabelledPod>& pods);

}  // namespace gpufleet
