// Policies for round-based scheduling (the Pollux study's simulator mode, pollux-baselines.md
// §1 and §4): at every round boundary the policy sees the active jobs, in workload order, with
// their current allocations, and returns every job's allocation for the next round. An
// allocation lists one node id per GPU; the engine restarts any job whose list changes.
//
// Policies are deterministic: ties go to workload order and to the lowest node id.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "progress/application.h"
#include "util/result.h"
#include "util/time.h"

namespace gpufleet {

// One node id per GPU, e.g. {3,3,3,3,7,7}.
using GpuList = std::vector<int>;

struct RoundCluster {
  int nodes = 16;
  int gpus_per_node = 4;
  int total_gpus() const { return nodes * gpus_per_node; }
};

// What a policy knows about an active job.
struct RoundJobView {
  int id = 0;          // position in the workload: the order that breaks ties
  int replicas = 0;    // requested GPUs (policies with fixed sizes)
  int batch_size = 0;  // total batch size
  const Application* app = nullptr;
  int epoch = 0;                        // epochs completed (Optimus's remaining work)
  const GpuList* allocation = nullptr;  // current allocation; empty = no GPUs
};

class RoundPolicy {
 public:
  virtual ~RoundPolicy() = default;
  // Allocations for the next round, one per entry of `active` (empty = no GPUs). Errors come
  // from the profiles (a step time a prediction needs is missing).
  virtual Result<std::vector<GpuList>> Schedule(SimTime now,
                                                const std::vector<RoundJobView>& active,
                                                const RoundCluster& cluster) = 0;
  // True when the policy chooses GPU counts itself (requested sizes are ignored).
  virtual bool SizesJobs() const { return false; }
};

enum class RoundPolicyKind { kTiresias, kOptimus, kFifo, kFifoBackfill, kLas };
std::optional<RoundPolicyKind> ParseRoundPolicy(std::string_view name);
const char* RoundPolicyName(RoundPolicyKind kind);
// "tiresias, optimus, fifo, fifo-backfill, las" (for messages and --help).
const char* RoundPolicyNames();

// Tiresias's discretized 2D-LAS (§4.1): queues split by executed GPU-time (wall time while
// admitted × requested GPUs, in GPU-milliseconds) at `thresholds_gpu_ms`, no promotion, admission
// by GPU count with preemption, new jobs placed on the most free nodes. No thresholds:
// single-queue LAS.
std::unique_ptr<RoundPolicy> MakeTiresias(std::vector<std::int64_t> thresholds_gpu_ms);
// Optimus with the oracle's step times (§4.2): one GPU each in workload order, then GPUs one at a
// time to the largest marginal gain (step-time saving × remaining iterations).
std::unique_ptr<RoundPolicy> MakeOptimus(int gpus_per_node);
// First come first served without preemption; strict FIFO stops at the first job that does not
// fit, backfill lets later jobs that fit go ahead (no reservation: jobs give no run time).
std::unique_ptr<RoundPolicy> MakeFifo(bool backfill);
// The study's configurations: Tiresias with 2 queues split at 16 GPU-hours.
std::unique_ptr<RoundPolicy> MakeRoundPolicy(RoundPolicyKind kind, const RoundCluster& cluster);

// Free GPUs per node when `kept` allocations hold theirs.
std::vector<int> FreeGpusPerNode(const RoundCluster& cluster,
                                 const std::vector<const GpuList*>& kept);
// Takes `count` GPUs, repeatedly from the node with the most free GPUs (lowest id on ties), as
// many as that node has or is still needed. The caller guarantees enough free GPUs.
GpuList TakeMostFree(std::vector<int>& free_per_node, int count);

}  // namespace gpufleet
