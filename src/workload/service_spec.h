// An inference service of a workload (docs/SPEC.md, "Services"): a model served by replicas of
// tensor-parallel GPUs, between a least and a most number of replicas, with a latency target and a
// demand - a request trace or generated Poisson arrivals, steady or diurnal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/job.h"
#include "physics/serving_autoscale.h"
#include "physics/serving_replica.h"
#include "physics/serving_service.h"
#include "workload/distribution.h"
#include "workload/serving_demand.h"
#include "workload/source_loc.h"

namespace gpufleet {

struct ServiceDemandSpec {
  // `trace: azure-llm:FILE`: the trace's path, relative paths resolved against the spec's
  // directory; empty: the requests are generated from `rate` and the token distributions.
  std::string trace_path;
  double rate_scale = 1;  // of the trace's arrivals
  bool repeat = false;    // the trace starts again after its last request, up to the horizon
  RequestRate rate;       // generated: peak (and trough, period, peak time when diurnal)
  Distribution prompt_tokens = Distribution::Fixed(1000);
  Distribution output_tokens = Distribution::Fixed(200);
  std::optional<std::uint64_t> seed;  // of the generated arrivals; default: the run's
  SourceLoc loc;                      // of the `demand` entry
};

// How the service's replicas follow its load (physics/serving_autoscale.h); min and max replicas
// come from the service. A replica loads for `startup_s` plus its weights per GPU at `load_gb_s`.
struct ServiceScaling {
  AutoscalePolicy policy;  // its min_replicas, max_replicas and load_s are set from the service
  double startup_s = 30;
  double load_gb_s = 2;  // per GPU, from storage
  // Requests outstanding per replica to aim for; none: from the model (TargetOutstanding, at the
  // demand's mean context and scale_up_at of the TPOT target).
  std::optional<double> target_outstanding;
};

struct ServiceSpec {
  std::string name;
  SourceLoc loc;  // of the service's entry, field "services[i]"
  ServedModel served;
  std::string gpu_model;  // a catalogue name
  SourceLoc gpu_model_loc;
  std::int32_t gpus_per_replica = 1;  // the replica's tensor parallelism, in one NVLink domain
  Topology topology = Topology::kNvlink;
  std::int32_t min_replicas = 1, max_replicas = 1;
  ServiceLevel slo;
  SourceLoc slo_loc;
  BatchingLimits batching;
  ServiceScaling scaling;
  std::int32_t priority = 0;  // against training jobs' priorities
  std::int32_t tenant = 0;    // index into the workload's tenants
  ServiceDemandSpec demand;
  // `fluid: {window: 60s}`: served in aggregate by windows of this length
  // (physics/serving_fluid.h); 0: request by request.
  double fluid_window_s = 0;
};

}  // namespace gpufleet
