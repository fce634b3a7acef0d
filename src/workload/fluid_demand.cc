#include "workload/fluid_demand.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gpufleet {
namespace {

double PoissonCount(double mean, Rng& rng) {
  if (!(mean > 0)) return 0;
  if (mean >= 30) return std::max(0.0, std::round(mean + std::sqrt(mean) * rng.Normal()));
  const double limit = std::exp(-mean);
  double count = 0, product = rng.Uniform();
  while (product > limit) {
    count += 1;
    product *= rng.Uniform();
  }
  return count;
}

std::int32_t Tokens(const Distribution& d, Rng& rng) {
  const double v = std::round(d.Sample(rng));
  return static_cast<std::int32_t>(
      std::clamp(v, 1.0, static_cast<double>(std::numeric_limits<std::int32_t>::max())));
}

std::size_t WindowCount(double horizon_s, double window_s) {
  return horizon_s > 0 ? static_cast<std::size_t>(std::ceil(horizon_s / window_s)) : 0;
}

}  // namespace

FluidDemand GeneratedFluidDemand(const RequestRate& rate, double duration_s, double window_s,
                                 const Distribution& prompt_tokens,
                                 const Distribution& output_tokens, Rng& rng) {
  FluidDemand d;
  d.window_s = window_s;
  std::vector<ServingRequest> sample;
  sample.reserve(kMixSample);
  for (int i = 0; i < kMixSample; ++i) {
    const std::int32_t prompt = Tokens(prompt_tokens, rng);
    sample.push_back({0, prompt, Tokens(output_tokens, rng)});
  }
  d.mix = MixOf(sample);
  d.horizon_s = duration_s;
  const std::size_t n = WindowCount(duration_s, window_s);
  d.windows.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    const double a = double(k) * window_s, b = std::min(duration_s, a + window_s);
    const double mean = (rate.At(a) + 4 * rate.At((a + b) / 2) + rate.At(b)) / 6 * (b - a);
    FluidWindow& w = d.windows[k];
    w.requests = PoissonCount(mean, rng);
    w.prompt_tokens = w.requests * d.mix.mean_prompt;
    w.output_tokens = w.requests * d.mix.mean_output;
  }
  return d;
}

FluidDemand BinnedFluidDemand(const std::vector<ServingRequest>& requests, double horizon_s,
                              double window_s, double period_s) {
  FluidDemand d;
  d.window_s = window_s;
  d.mix = MixOf(requests);
  d.horizon_s = horizon_s;
  // Arrivals and tokens before each request, so that any interval of the (repeated) stream is
  // counted by two searches.
  const std::size_t n = requests.size();
  std::vector<double> prompts(n + 1, 0), outputs(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    prompts[i + 1] = prompts[i] + requests[i].prompt_tokens;
    outputs[i + 1] = outputs[i] + requests[i].output_tokens;
  }
  struct Before {
    double requests, prompt, output;
  };
  // Arrivals strictly before t.
  auto before = [&](double t) -> Before {
    double cycles = 0;
    if (period_s > 0) {
      cycles = std::floor(t / period_s);
      t -= cycles * period_s;
    }
    const auto i = static_cast<std::size_t>(
        std::lower_bound(requests.begin(), requests.end(), t,
                         [](const ServingRequest& r, double at) { return r.arrival_s < at; }) -
        requests.begin());
    return {cycles * double(n) + double(i), cycles * prompts[n] + prompts[i],
            cycles * outputs[n] + outputs[i]};
  };
  const std::size_t windows = WindowCount(horizon_s, window_s);
  d.windows.resize(windows);
  Before last = before(0);
  for (std::size_t k = 0; k < windows; ++k) {
    const Before next = before(std::min(horizon_s, double(k + 1) * window_s));
    d.windows[k] = {next.requests - last.requests, next.prompt - last.prompt,
                    next.output - last.output};
    last = next;
  }
  return d;
}

double RepeatPeriod(const std::vector<ServingRequest>& requests) {
  const double last = requests.empty() ? 0 : requests.back().arrival_s;
  // One request, or all at one time: a second apart.
  if (requests.size() < 2 || !(last > 0)) return std::max(1.0, last + 1);
  return last + last / double(requests.size() - 1);
}

double RepeatedCount(const std::vector<ServingRequest>& requests, double period_s,
                     double horizon_s) {
  if (requests.empty() || !(period_s > 0) || !(horizon_s > 0)) return 0;
  const double cycles = std::floor(horizon_s / period_s);
  const double rest = horizon_s - cycles * period_s;
  const auto partial =
      std::lower_bound(requests.begin(), requests.end(), rest,
                       [](const ServingRequest& r, double at) { return r.arrival_s < at; }) -
      requests.begin();
  return cycles * double(requests.size()) + double(partial);
}

std::vector<ServingRequest> RepeatRequests(const std::vector<ServingRequest>& requests,
                                           double period_s, double horizon_s) {
  std::vector<ServingRequest> out;
  if (requests.empty() || !(period_s > 0)) return out;
  for (double cycle = 0; cycle * period_s < horizon_s; cycle += 1) {
    const double offset = cycle * period_s;
    for (ServingRequest r : requests) {
      r.arrival_s += offset;
      if (r.arrival_s >= horizon_s) return out;
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace gpufleet
