// A service's requests served by replicas at the times a fleet gave them (docs/MODELS.md, "Serving
// in the simulator"): where the autoscaler (serving_autoscale.h) assumes each replica it asks for
// is placed at once, the simulator's scheduler may place it late or never. Replica k takes new
// requests from `from_s` (placed, weights loaded) until `until_s` (drained) and finishes those it
// holds. Requests are routed as in ServeOnReplicas, to the taking replica with the fewest
// outstanding; one that arrives while no replica takes requests waits at the router for the next
// that does, its wait counted in its TTFT; one that no replica ever takes is unserved. A replica
// stopped abruptly (a failure: `cut_s`) loses the requests it still holds then: the router retries
// each from the start on another replica, as a client or gateway retries a broken stream - a
// first token already streamed counts from then, the rest when the retry has them all.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "physics/serving_service.h"

namespace gpufleet {

struct ReplicaWindow {
  double from_s = 0, until_s = 0;  // from_s finite, until_s >= from_s (may be infinite)
  // Stopped abruptly then (>= until_s; infinite: it finishes all it took). A pass under way at the
  // cut completes (it started before); the requests still waiting or running are retried.
  double cut_s = HUGE_VAL;
};

// A period of arrivals [from_s, until_s) whose requests are counted apart (an outage, say).
struct ArrivalPeriod {
  double from_s = 0, until_s = 0;
};
// The requests that arrived in a period, and those of them served within both targets.
struct PeriodAttainment {
  std::int64_t requests = 0, met = 0;
};

struct PlacedServiceRun {
  // Latencies of the requests served; `attainment`, `slo_met` and the values at the SLO's
  // percentile count the unserved as missing the SLO, ranked last (infinite when the percentile
  // falls on one).
  ServiceRun run;
  std::int64_t unserved = 0;  // left out of run.prompt_tokens and run.output_tokens
  // Served requests that waited for a replica to take them (once each, however often).
  std::int64_t held_at_router = 0;
  std::int64_t retried = 0;  // requests a replica held when it was cut (counted at each cut)
  std::vector<PeriodAttainment> periods;  // by ServeInWindows' `periods`
};

// `requests` sorted by arrival. Errors as ServeOnReplicas'.
Result<PlacedServiceRun> ServeInWindows(const ReplicaModel& model, const BatchingLimits& limits,
                                        const std::vector<ServingRequest>& requests,
                                        const ServiceLevel& slo,
                                        const std::vector<ReplicaWindow>& windows,
                                        const std::vector<ArrivalPeriod>& periods = {});

}  // namespace gpufleet
