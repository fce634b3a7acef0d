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

}  // namespace gpufleet
