// Profile-driven training applications: the Pollux study's progress model (Qiao et al.
// OSDI'21; docs/EXPERIMENTS.md, "The Pollux paper's simulated baselines"). An application is
// measured data: per validated batch size, the progress and gradient statistics of every epoch,
// and the step time of every profiled placement. A job's speed on a placement is a lookup in
// that data, not a formula, which is what lets the twin reproduce a published evaluation to the
// second.
//
// Pure functions over values: no I/O (the CSV loaders are in trace/pollux.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "util/result.h"

namespace gpufleet {

// A placement as the Pollux study keys its profiles: the GPUs on each node a job uses, in the
// order the nodes first appear in its allocation ((4,2): four GPUs on one node, two on another).
using GpusPerNode = std::vector<int>;

// One optimizer step: its duration and the all-reduce part of it (seconds).
struct ProfileStepTime {
  double step = 0;
  double sync = 0;
};

// The statistics of one validated batch size (a validation-<B>.csv file), one entry per epoch:
// progress and iteration after the epoch, gradient statistics during it.
struct ValidationCurve {
  int batch_size = 0;
  std::vector<double> progress, iteration, grad_sqr, grad_var;
};

// One row of a 1-D placement profile.
struct ProfilePoint {
  int local_bsz = 0;
  ProfileStepTime time;
};

// Key of a step time measured or interpolated off the profiled placements (≥5 nodes):
// (num_nodes, num_replicas, local_bsz).
using SpreadKey = std::tuple<int, int, int>;

struct Application {
  std::string name;
  int init_batch_size = 0;  // the smallest validated batch size
  int max_batch_size = 0;   // the largest validated batch size
  int min_local_bsz = 0;
  int max_local_bsz = 0;
  int max_epochs = 0;
  // Most GPUs a policy that sizes jobs may give it (0 = no cap); ncf is a one-GPU job.
  int max_replicas_cap = 0;
  std::vector<ValidationCurve> validation;  // sorted by batch size
  // P[e] for e = 0..max_epochs: the progress at which epoch e begins (P[max_epochs] = W).
  std::vector<double> epoch_progress;
  // Placement code (digits, canonical rotation as written in placements.csv) → points sorted by
  // local batch size.
  std::map<std::int64_t, std::vector<ProfilePoint>> placements;
  // Step times of placements over more nodes than profiled (nd_throughput_table.csv).
  std::map<SpreadKey, ProfileStepTime> spread;

  double total_work() const { return epoch_progress.back(); }
  // Fills epoch_progress from the validation curves: P[e] = min over B of progress[e-1].
  void ComputeEpochBoundaries();
};

// How a fixed total batch B runs on R GPUs (§3.3): per-GPU atomic batch m and gradient
// accumulation steps a, so that the effective batch is R·m·(a+1) (which may differ from B).
struct BatchConfig {
  int replicas = 0;
  int atomic_bsz = 0;
  int accum_steps = 0;
  int effective_batch() const { return replicas * atomic_bsz * (accum_steps + 1); }
};

// A job with B above the initial batch on one GPU accumulates at least once; Optimus's step-time
// predictor accumulates at least once on one GPU whatever B is (both as in the artifact).
enum class SingleGpuAccumulation { kAboveInitialBatch, kAlways };

BatchConfig ConfigureBatch(const Application& app, int replicas, int batch_size,
                           SingleGpuAccumulation rule = SingleGpuAccumulation::kAboveInitialBatch);

// The placement code looked up in placements.csv: the digits of the lexicographically smallest
// rotation (not a sort: (4,2,1) → 142, (4,1,2) → 124). Zero entries are dropped.
std::int64_t CanonicalPlacementCode(const GpusPerNode& placement);

// Step time for a placement at atomic batch m (§3.4): linear interpolation in local batch over
// the placement's profile, or the spread table for placements not profiled. An error names what
// is missing (out of the profile's range, or no table row).
Result<ProfileStepTime> LookupStepTime(const Application& app, const GpusPerNode& placement,
                                       int atomic_bsz);

// Seconds per iteration with a accumulation steps: step + a·(step − sync).
inline double IterationSeconds(ProfileStepTime t, int accum_steps) {
  return t.step + (t.step - t.sync) * accum_steps;
}

// Statistical efficiency of batch B during epoch e (§3.5): (var+sqr)/(var/s + sqr) with
// s = B/init_batch_size and the gradient statistics interpolated in B between the validated
// sizes that bracket it. Errors when B is outside the validated range or e has no row.
Result<double> StatisticalGain(const Application& app, int batch_size, int epoch);

// Iterations after `epoch` at batch B (validation column `iteration`, interpolated in B).
Result<double> IterationsAfter(const Application& app, int batch_size, int epoch);

// The placement that packs n GPUs onto nodes of `gpus_per_node`: (4,4,…,rest).
GpusPerNode PackedPlacement(int gpus, int gpus_per_node);

}  // namespace gpufleet
