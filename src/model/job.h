// Jobs as the workload describes them. The scheduler sees `estimate`; only the simulator (and the
// policies named as oracles) sees `duration`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/fleet.h"
#include "util/time.h"

namespace gpufleet {

// A job as its driver names it: the simulator numbers jobs by arrival, the daemon assigns ids from
// its store. 64 bits, never reused by the driver; the scheduler maps them to dense slots of its
// own.
using JobId = std::int64_t;

// How tightly a gang must sit in the network: all its GPUs inside one subtree of this kind.
enum class Topology : std::uint8_t { kNvlink, kLeaf, kPod, kSite, kAny };

inline Level ConstraintLevel(Topology t) {
  switch (t) {
    case Topology::kNvlink:
      return Level::kDomain;
    case Topology::kLeaf:
      return Level::kLeaf;
    case Topology::kPod:
      return Level::kPod;
    case Topology::kSite:
      return Level::kSite;
    case Topology::kAny:
      return Level::kFleet;
  }
  return Level::kFleet;
}
const char* TopologyName(Topology t);
std::optional<Topology> ParseTopology(std::string_view name);

struct Tenant {
  std::string name;
  double weight = 1;
  std::optional<std::int64_t> quota_gpus;  // a guaranteed share, e.g. a virtual cluster's size
};

inline constexpr SimTime kCheckpointAuto = -1;

// Bounds on what one job may ask for (docs/SPEC.md, "Limits"). Spec and trace readers refuse
// values beyond them with the file, line and field, so that no request wraps around when it is
// converted to integers, and every request stays inside what the scheduler accepts.
inline constexpr std::int64_t kMaxJobGpus = 10'000'000;
inline constexpr std::int64_t kMaxJobCpuMilli = 1'000'000'000'000;   // 10^9 cores
inline constexpr std::int64_t kMaxJobMemoryMib = 1'024'000'000'000;  // 10^9 GB

struct JobSpec {
  std::string name;
  SimTime submit = 0;
  SimTime duration = 0;  // run time on its GPUs, from start to completion, without interruptions
  SimTime estimate = 0;  // the user's runtime estimate; what non-oracle policies see
  // Progress is saved every checkpoint_interval of run time; an interrupted job resumes from its
  // last checkpoint. 0 means no checkpoints: an interrupted job starts over. kCheckpointAuto: the
  // Daly interval for the job's expected time between failures at its size (needs a write time).
  SimTime checkpoint_interval = 0;
  // Writing one checkpoint stalls training this long; or, given a size, size / the storage
  // bandwidth of the job's site. Both 0: checkpoints are free.
  SimTime checkpoint_write = 0;
  float checkpoint_size_gb = 0;
  // Time from an interruption to training again (detection, restart, reload); -1: the failure
  // model's default (0 without one).
  SimTime restart_overhead = -1;
  // A training job described by its model and parallelism: an index into the bound workload's
  // training jobs (-1: none). Its progress rate follows its placement (docs/MODELS.md, "Step
  // time"), and it refuses placements slower than min_placement_rate of the ideal.
  std::int32_t training = -1;
  // A replica of an inference service: an index into the simulated services (trace/service_jobs.h;
  // -1: none). Its lifetime is the autoscaler's, its metrics the service's, not a job's.
  std::int32_t service = -1;
  // A replica leaves at this time whatever it has run: its service's autoscaler let it go then.
  // Placed late, it lives shorter; never placed by then, it is withdrawn. kNever: a job's end is
  // its work done.
  SimTime leave_at = kNever;
  // When its work must be done by (kNever: no deadline): the report counts the jobs that met it
  // (docs/SPEC.md, `deadline`); the scheduler does not see it.
  SimTime deadline = kNever;
  // How hard the job's GPUs work, for their power: the fraction of the way from idle to TDP they
  // draw (1: training at TDP; inference or data loading less).
  float power_utilization = 1;
  float min_placement_rate = 0;
  std::int32_t gpus = 1;
  // Share of each GPU, in milli-GPU: below 1000 the job shares its GPUs with others and all of
  // them sit on one node (as a Kubernetes pod with Alibaba's gpu_milli).
  std::int32_t gpu_milli = kMilliPerGpu;
  std::int64_t cpu_milli = 0;   // host CPU, whole job, milli-cores; spread over its nodes by GPU
  std::int64_t memory_mib = 0;  // host memory, whole job
  std::int32_t priority = 0;    // larger runs first and may preempt smaller
  ModelId gpu_model = kAnyModel;
  // With gpu_model any: the models allowed, a bit per ModelId (0: every model).
  std::uint64_t allowed_models = 0;
  std::int32_t tenant = 0;
  Topology topology = Topology::kAny;
};

}  // namespace gpufleet
