// A service whose replicas follow its load (docs/MODELS.md, "Autoscaling"): every `interval` the
// autoscaler looks at the last window's latencies and load. When the window's TTFT or TPOT at the
// SLO's percentile passes `scale_up_at` of its target, the SLO is at risk: the replicas grow in
// proportion to how far the worse of the two is past that mark (as Kubernetes' horizontal
// autoscaler does), by at least one and at most doubling. A replica serves only once its weights
// are loaded (`load_s`), and no more are added while some still load. Load is watched too, as
// Knative's autoscaler watches concurrency: the requests outstanding on all serving replicas at
// each arrival (a draining replica's backlog left out), averaged over the window's arrivals; the
// replicas wanted are that over `target_outstanding`. More are added when more are wanted; when
// n - 1 replicas would carry the load within `scale_down_below` of their target and the
// latencies, scaled by n / (n - 1) for the replica that would go, stay below `scale_down_below`
// of the scale-up mark for `scale_down_after` (the stabilization window, counted from no earlier
// than the newest replica's readiness), one replica is drained at each look while that lasts: it
// takes no new request and leaves when its last one finishes. The
// count stays within [min, max]; requests are routed as in ServeOnReplicas, to the serving replica
// with the fewest outstanding. The looks stop at the last arrival: the requests then outstanding
// finish on the replicas there are, a replica still loading serves from its readiness, and a
// drained one leaves after its last pass.
#pragma once

#include <vector>

#include "physics/serving_service.h"

namespace gpufleet {

struct AutoscalePolicy {
  int min_replicas = 1;  // >= 1: serving from zero is not modelled
  int max_replicas = 1;
  int initial_replicas = 0;  // serving at the first arrival, in [min, max]; 0: min
  double interval_s = 30;
  double scale_up_at = 0.8;  // of the SLO targets, in (0, 1]
  // Requests outstanding per replica that it serves within the SLO (TargetOutstanding); 0: none,
  // and only latency scales.
  double target_outstanding = 0;
  // A replica is drained only while the window's latencies stay below this fraction of the
  // scale-up mark (pressure below it): a load target that overestimates a replica never drains
  // into a risk.
  double scale_down_below = 0.75;
  double scale_down_after_s = 300;
  double load_s = 60;  // from the decision to the first pass: start-up and weights from storage
};

// The replicas at a time: serving, loading and draining, from then until the next point. The
// timeline's last point is the span's end.
struct ReplicaCount {
  double t_s = 0;
  int serving = 0, loading = 0, draining = 0;
};

// One replica from the decision to add it until it leaves: what a fleet scheduler places.
struct ReplicaLife {
  double added_s = 0;    // the decision: its GPUs are held from then
  double ready_s = 0;    // its first pass may start (the initial replicas: at once)
  double drained_s = 0;  // it took no new request from then: drained, or the span's end
  double gone_s = 0;     // its last pass after it was drained, or the span's end
  // One still loading at the span's end has ready_s after gone_s: it never served.
  std::int64_t routed = 0;  // requests it served
};

struct AutoscaledRun {
  ServiceRun run;  // run.replicas: the most held at once (loading and draining included)
  std::vector<ReplicaCount> timeline;
  std::vector<ReplicaLife> lives;  // in the order they were added
  // Replicas held (from the decision to add one until it leaves or the span ends) integrated over
  // the span, the timeline's integral: the GPU-seconds are this times the replica's GPUs.
  double replica_seconds = 0;
  int scale_ups = 0, scale_downs = 0;
};

// An error for a policy outside the ranges above.
Status CheckAutoscalePolicy(const AutoscalePolicy& policy);

// `requests` sorted by arrival; starts with initial_replicas serving. Errors as ServeOnReplicas',
// for a policy outside the ranges above, and for an interval that makes more than 1e8 looks over
// the span of the arrivals.
Result<AutoscaledRun> ServeAutoscaled(const ReplicaModel& model, const BatchingLimits& limits,
                                      const std::vector<ServingRequest>& requests,
                                      const ServiceLevel& slo, const AutoscalePolicy& policy);

// The requests a replica may have outstanding with its decode pass - that many sequences over a
// context of `mean_context` tokens each - within `fraction` of the TPOT target: a load target
// from the model, at least 1, at most `fraction` of the batch limit (past which requests queue).
double TargetOutstanding(const ReplicaModel& model, const BatchingLimits& limits,
                         double mean_context, double tpot_s, double fraction);

// The time from a decision to add a replica until it serves: `startup_s` (process, runtime and
// CUDA graphs) plus its weights per GPU read at `load_gb_s` per GPU, the GPUs loading in parallel.
double ReplicaLoadSeconds(const ReplicaModel& model, double startup_s, double load_gb_s);

}  // namespace gpufleet
