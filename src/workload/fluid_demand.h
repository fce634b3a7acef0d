// A service's demand for the fluid level (physics/serving_fluid.h; docs/MODELS.md, "Fluid
// serving"): arrivals counted per window instead of listed, and the requests' sizes as a mix.
// Also the repetition of a trace over a longer horizon, for both levels.
#pragma once

#include <vector>

#include "physics/serving_fluid.h"
#include "util/rng.h"
#include "workload/distribution.h"
#include "workload/serving_demand.h"

namespace gpufleet {

// Requests drawn for a generated demand's mix.
inline constexpr int kMixSample = 8192;

// Generated arrivals over [0, duration_s) by windows of `window_s` (the last cut at the
// duration): each window's count Poisson at the rate's integral over it (Simpson's rule; exact
// enough for a daily cosine), its tokens that count times the mix's means. The mix: kMixSample
// requests drawn from the distributions (rounded, at least 1, as PoissonRequests'), first.
// A Poisson count of mean 30 or more is drawn as the nearest whole normal (of that mean and
// variance), below by multiplying uniforms (Knuth).
FluidDemand GeneratedFluidDemand(const RequestRate& rate, double duration_s, double window_s,
                                 const Distribution& prompt_tokens,
                                 const Distribution& output_tokens, Rng& rng);

// `requests` (sorted by arrival, from 0) counted by windows over [0, horizon_s), repeated every
// `period_s` when it is above 0 (the requests once otherwise); their mix is theirs.
FluidDemand BinnedFluidDemand(const std::vector<ServingRequest>& requests, double horizon_s,
                              double window_s, double period_s);

// The period at which a trace repeats: its last arrival and one mean gap (one request, or all at
// one time: a second after the last).
double RepeatPeriod(const std::vector<ServingRequest>& requests);
// How many requests `requests` repeated every `period_s` hold over [0, horizon_s).
double RepeatedCount(const std::vector<ServingRequest>& requests, double period_s,
                     double horizon_s);
// `requests` repeated every `period_s` over [0, horizon_s).
std::vector<ServingRequest> RepeatRequests(const std::vector<ServingRequest>& requests,
                                           double period_s, double horizon_s);

}  // namespace gpufleet
