// A service's requests over several identical replicas (docs/MODELS.md, "Serving"): each request
// goes, on arrival, to the replica with the fewest requests outstanding (waiting or running; ties
// to the lowest index), and the service's latency is judged against its SLO - percentile targets
// on the time to first token and the time per output token.
#pragma once

#include <cstdint>
#include <vector>

#include "physics/power.h"
#include "physics/serving_replica.h"
#include "util/result.h"

namespace gpufleet {

// "p99 TTFT <= 2 s and p99 TPOT <= 50 ms": both at one percentile.
struct ServiceLevel {
  double ttft_s = 2;
  double tpot_s = 0.05;
  double percentile = 99;  // in (0, 100]
};

struct LatencySummary {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, at_slo_percentile = 0;
};

struct ServiceRun {
  int replicas = 0;
  std::int64_t requests = 0;
  std::int64_t prompt_tokens = 0, output_tokens = 0;
  double span_s = 0;            // first arrival to last finish
  double arrival_window_s = 0;  // first arrival to last arrival
  double busy_s = 0;            // passes, summed over the replicas
  LatencySummary ttft, tpot;
  // Requests that met both targets, over all requests.
  double attainment = 0;
  // Both percentiles within their targets.
  bool slo_met = false;
  std::vector<std::int64_t> requests_per_replica;
  std::int32_t peak_batch = 0;  // the largest of any replica
};

// The most tokens (prompt and output) of any request: the KV cache a replica must hold for one.
std::int64_t LargestRequestTokens(const std::vector<ServingRequest>& requests);

// The value at rank ceil(p n / 100) of the sorted values (0 for none), p in (0, 100].
double NearestRankPercentile(std::vector<double> values, double p);

// An error unless the SLO's targets are positive with its percentile in (0, 100], the batching
// limits hold (CheckBatchingLimits) and the requests come in order of arrival.
Status CheckServiceInputs(const BatchingLimits& limits, const std::vector<ServingRequest>& requests,
                          const ServiceLevel& slo);

// Serves `requests` (sorted by arrival) on `replicas` replicas of `model`. Errors as
// ServeOnReplica's.
Result<ServiceRun> ServeOnReplicas(const ReplicaModel& model, const BatchingLimits& limits,
                                   int replicas, const std::vector<ServingRequest>& requests,
                                   const ServiceLevel& slo);

// Fills `run`'s request count, arrival window, latency summaries, attainment and verdict from the
// requests' times (`served`, in the order of `requests`).
void SummarizeServed(const std::vector<ServingRequest>& requests,
                     const std::vector<ServedRequest>& served, const ServiceLevel& slo,
                     ServiceRun& run);

// IT energy of a run, in joules: its replicas' GPUs (tp each) on nodes of `node` power with
// `gpus_per_node` GPUs, over the run's span. A GPU counts as busy while its replica runs a pass
// (at the power model's busy draw, an upper bound for memory-bound decode, which draws less), idle
// otherwise; each GPU carries its share of the host's idle draw (docs/MODELS.md, "Serving").
double ServiceItEnergyJ(const ServiceRun& run, int tp, const NodePower& node, int gpus_per_node);
// The same on the catalogue's built-in server of `gpu` (its host's share included); 0 when the
// catalogue has no server of that GPU, whose power is then unknown here.
double ServiceItEnergyOnBuiltinServerJ(const ServiceRun& run, int tp, const GpuModel& gpu);

// Lower bounds of a service's latency at `percentile`: each request alone on an idle replica (its
// prompt's prefill passes; its decode over the shortest context it has). No number of replicas
// does better.
struct IdleLatency {
  double ttft_s = 0, tpot_s = 0;
};
IdleLatency IdleLatencyBound(const ReplicaModel& model, const BatchingLimits& limits,
                             const std::vector<ServingRequest>& requests, double percentile);

// The fewest replicas, up to `max_replicas`, whose run meets the SLO, with that run; an error
// (kUnsatisfiable) if even `max_replicas` do not, with what they reach, or at once if the idle
// bound above misses the SLO. More replicas than requests are never tried: with one per request
// every arrival finds an idle one. The search doubles, then bisects: it assumes that more replicas
// never serve worse, as least-outstanding routing does in practice (a property, not a theorem;
// the answer is checked by its own run).
Result<ServiceRun> FewestReplicasMeeting(const ReplicaModel& model, const BatchingLimits& limits,
                                         const std::vector<ServingRequest>& requests,
                                         const ServiceLevel& slo, int max_replicas);

}  // namespace gpufleet
