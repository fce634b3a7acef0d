// The demand of an inference service (docs/MODELS.md, "Serving"): Poisson arrivals whose rate is
// steady or follows a daily rhythm - a cosine between a trough and a peak, as the Azure LLM
// traces' and POLCA's diurnal load - each request with a prompt and an output drawn from their
// distributions.
#pragma once

#include <vector>

#include "physics/serving_replica.h"
#include "util/rng.h"
#include "workload/distribution.h"

namespace gpufleet {

struct RequestRate {
  double peak_rps = 0;    // > 0
  double trough_rps = 0;  // in [0, peak]; equal to the peak: a steady rate
  double period_s = 86400;
  double peak_at_s = 14 * 3600;  // when in the period the peak comes
  // trough + (peak - trough) (1 + cos(2 pi (t - peak_at) / period)) / 2.
  double At(double t) const;
  double Mean() const { return (peak_rps + trough_rps) / 2; }
};

// Arrivals over [0, duration_s) by thinning (Lewis and Shedler 1979): candidates at the peak rate,
// each kept with probability rate(t) / peak. Token counts are rounded and at least 1. The same
// seed gives the same requests: the stream is util/rng.h's, not the standard distributions' (whose
// algorithms differ between standard libraries); std::log and std::cos are the C library's.
std::vector<ServingRequest> PoissonRequests(const RequestRate& rate, double duration_s,
                                            const Distribution& prompt_tokens,
                                            const Distribution& output_tokens, Rng& rng);

}  // namespace gpufleet
