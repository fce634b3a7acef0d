// The autoscaler and the placed replicas of serving_autoscale.h and serving_placed.h over a fluid
// demand (serving_fluid.h; docs/MODELS.md, "Fluid serving"). The autoscaler looks at the start of
// each window, at the last window's arrival rate plus what it would take to clear the backlog in
// a window: it wants the fewest replicas whose estimated latencies at the SLO's percentile stay
// within `scale_up_at` of the targets, with at most `target_outstanding` requests each. It adds
// them as the request level's does (at most doubling, none while some load; a replica serves once
// loaded), and drains one replica per `interval` of the window, newest first, while the fewest
// meeting the stricter marks (`scale_down_below` of them) stay below the serving ones for
// `scale_down_after`. A drained replica leaves after a mean request's time.
#pragma once

#include <vector>

#include "physics/serving_autoscale.h"
#include "physics/serving_fluid.h"
#include "physics/serving_placed.h"

namespace gpufleet {

// An error for a policy outside serving_autoscale.h's ranges or a window that is not positive.
Result<AutoscaledRun> ServeFluidAutoscaled(const ReplicaModel& model, const BatchingLimits& limits,
                                           const FluidDemand& demand, const ServiceLevel& slo,
                                           const AutoscalePolicy& policy);

// The replicas the demand's first `window_s` needs (within [least, most]): a warm start.
int FluidReplicasAtStart(const ReplicaModel& model, const BatchingLimits& limits,
                         const FluidDemand& demand, const ServiceLevel& slo, double window_s,
                         int least, int most);

// The demand served by replicas that take requests over `windows` (serving_placed.h): in each of
// the demand's windows, by their mean number over it; after the last, by those still taking. A
// window's cut is not seen: the fluid level keeps no requests in flight to retry.
Result<PlacedServiceRun> ServeFluidInWindows(const ReplicaModel& model,
                                             const BatchingLimits& limits,
                                             const FluidDemand& demand, const ServiceLevel& slo,
                                             const std::vector<ReplicaWindow>& windows,
                                             const std::vector<ArrivalPeriod>& periods = {});

}  // namespace gpufleet
