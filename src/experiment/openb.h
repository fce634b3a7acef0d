// The openb GPU-sharing placement study (Weng et al., ATC'23), as docs/EXPERIMENTS.md describes
// it: one pass over a seeded, tuned arrival
// sequence of pods, each placed once or failed, never released; after every arrival the cluster's
// allocation and fragmentation are recorded, then binned by arrived demand (0..130% of capacity).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sched/shared_gpu.h"
#include "util/result.h"

namespace gpufleet {

struct OpenbCluster {
  std::vector<std::string> names;  // node names (sorted, as in the file)
  std::vector<SharedNode> nodes;
  std::vector<std::string> models;  // GPU model labels; SharedNode::model indexes this
  std::int64_t total_gpus = 0;
};
// `sn,cpu_milli,memory_mib,gpu,model` (openb_node_list_gpu_node.csv).
Result<OpenbCluster> LoadOpenbNodes(const std::string& path);

struct OpenbPod {
  std::string name;
  PodRequest request;
  std::string spec;  // gpu_spec as written ("" = any model)
};
// `name,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_spec,...]`. Model names in gpu_spec that no
// node has are added to `cluster.models` (such pods simply fit nowhere).
Result<std::vector<OpenbPod>> LoadOpenbPods(const std::string& path, OpenbCluster& cluster);

// The typical pods for FGD and the fragmentation metric (§4 FGD.1), from the original pods.
std::vector<TypicalPod> TypicalPods(const std::vector<OpenbPod>& pods);

struct OpenbEvent {
  std::int64_t arrived_milli = 0;  // cumulative GPU demand arrived, failed pods included
  std::int64_t used_milli = 0;     // allocated milli-GPU
  std::int64_t idle_milli = 0;     // free milli-GPU
  double frag_milli = 0;           // sum of node fragmentation
};

struct OpenbRun {
  std::vector<OpenbEvent> events;  // one per arrival
  std::vector<int> arrival;        // the sequence: indexes into the pod list
  std::int64_t failed = 0;
};

// One run: the arrival sequence from `seed` (shuffle, tune to `tune` x capacity, node ranks) is
// the same for every policy; Random then draws from the same stream.
OpenbRun RunOpenb(const OpenbCluster& cluster, const std::vector<OpenbPod>& pods,
                  const std::vector<TypicalPod>& typical, SharePolicy policy, std::uint64_t seed,
                  double tune);

// The curves of the authors' analysis_*_discrete.csv files: cell x (0..130) averages the events
// whose arrived demand rounds to x% of capacity (or x-1..x+1 when there are none).
struct OpenbCurves {
  std::array<std::optional<double>, 131> allocation;     // % of milli-GPU allocated
  std::array<std::optional<double>, 131> fragmentation;  // fragmented GPUs, % of GPUs
  std::array<std::optional<double>, 131> frag_ratio;     // fragmented over idle, %
};
OpenbCurves BinCurves(const OpenbRun& run, std::int64_t total_gpus);

}  // namespace gpufleet
