#include "workload/serving_demand.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gpufleet {
namespace {

std::int32_t Tokens(const Distribution& d, Rng& rng) {
  const double v = std::round(d.Sample(rng));
  return static_cast<std::int32_t>(
      std::clamp(v, 1.0, static_cast<double>(std::numeric_limits<std::int32_t>::max())));
}

}  // namespace

double RequestRate::At(double t) const {
  constexpr double kTwoPi = 2 * 3.14159265358979323846;
  return trough_rps +
         (peak_rps - trough_rps) * (1 + std::cos(kTwoPi * (t - peak_at_s) / period_s)) / 2;
}

std::vector<ServingRequest> PoissonRequests(const RequestRate& rate, double duration_s,
                                            const Distribution& prompt_tokens,
                                            const Distribution& output_tokens, Rng& rng) {
  std::vector<ServingRequest> out;
  if (!(rate.peak_rps > 0) || !(duration_s > 0)) return out;
  const bool steady = rate.trough_rps >= rate.peak_rps;
  for (double t = rng.Exponential(1 / rate.peak_rps); t < duration_s;
       t += rng.Exponential(1 / rate.peak_rps)) {
    // A steady rate keeps every candidate and draws no acceptance number.
    if (!steady && rng.Uniform() * rate.peak_rps >= rate.At(t)) continue;
    const std::int32_t prompt = Tokens(prompt_tokens, rng);
    out.push_back({t, prompt, Tokens(output_tokens, rng)});
  }
  return out;
}

}  // namespace gpufleet
