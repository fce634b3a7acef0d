#include "physics/serving_service.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "model/catalog.h"

namespace gpufleet {
namespace {

// Nearest rank: the value at rank ceil(p n / 100) of the sorted sample. p n is rounded to a
// millionth first, so that 99.9 x 1,000 (99,900.00000000001 in binary) gives rank 999, not 1,000.
double NearestRank(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double product = std::round(p * static_cast<double>(sorted.size()) * 1e6) / 1e6;
  const double rank = std::ceil(product / 100);
  const auto i = static_cast<std::size_t>(std::clamp(rank, 1.0, double(sorted.size()))) - 1;
  return sorted[i];
}

LatencySummary Summarize(std::vector<double> values, double slo_percentile) {
  std::sort(values.begin(), values.end());
  LatencySummary s;
  s.p50 = NearestRank(values, 50);
  s.p90 = NearestRank(values, 90);
  s.p99 = NearestRank(values, 99);
  s.max = values.empty() ? 0 : values.back();
  s.at_slo_percentile = NearestRank(values, slo_percentile);
  return s;
}

}  // namespace

double NearestRankPercentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return NearestRank(values, p);
}

std::int64_t LargestRequestTokens(const std::vector<ServingRequest>& requests) {
  std::int64_t largest = 0;
  for (const ServingRequest& r : requests) {
    largest = std::max<std::int64_t>(largest, std::int64_t{r.prompt_tokens} + r.output_tokens);
  }
  return largest;
}

Status CheckServiceInputs(const BatchingLimits& limits, const std::vector<ServingRequest>& requests,
                          const ServiceLevel& slo) {
  if (!(slo.percentile > 0 && slo.percentile <= 100) || !(slo.ttft_s > 0) || !(slo.tpot_s > 0)) {
    return Error{"SLO: targets must be positive and the percentile in (0, 100]"};
  }
  if (Status st = CheckBatchingLimits(limits); !st.ok()) return st;
  // Each replica checks the order of its own requests; the router checks the whole stream's.
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (!std::isfinite(requests[i].arrival_s)) {
      return Error{"request " + std::to_string(i) + ": its arrival time is not a finite number"};
    }
    if (i > 0 && requests[i].arrival_s < requests[i - 1].arrival_s) {
      return Error{"request " + std::to_string(i) + ": arrives before the request ahead of it"};
    }
  }
  return Status::Ok();
}

Result<ServiceRun> ServeOnReplicas(const ReplicaModel& model, const BatchingLimits& limits,
                                   int replicas, const std::vector<ServingRequest>& requests,
                                   const ServiceLevel& slo) {
  if (replicas < 1) return Error{"a service needs at least one replica"};
  if (Status st = CheckServiceInputs(limits, requests, slo); !st.ok())
    return Error{st.message(), st.code()};
  std::vector<ServedRequest> served(requests.size());
  std::vector<ReplicaServer> servers;
  servers.reserve(static_cast<std::size_t>(replicas));
  for (int i = 0; i < replicas; ++i) servers.emplace_back(model, limits, served);
  ServiceRun run;
  run.replicas = replicas;
  run.requests_per_replica.assign(static_cast<std::size_t>(replicas), 0);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const ServingRequest& r = requests[i];
    // The load each replica has at the arrival: a pass in progress then has already run, and the
    // requests it finishes later still count.
    std::size_t best = 0;
    std::int64_t best_load = 0;
    for (std::size_t k = 0; k < servers.size(); ++k) {
      servers[k].RunUntil(r.arrival_s);
      const std::int64_t load = servers[k].OutstandingAt(r.arrival_s);
      if (k == 0 || load < best_load) {
        best = k;
        best_load = load;
      }
    }
    if (Status st = servers[best].Add(i, r); !st.ok()) return Error{st.message(), st.code()};
    ++run.requests_per_replica[best];
    run.prompt_tokens += r.prompt_tokens;
    run.output_tokens += r.output_tokens;
  }
  double end = requests.empty() ? 0 : requests.front().arrival_s;
  for (ReplicaServer& s : servers) {
    s.RunToEnd();
    run.busy_s += s.run().busy_s;
    end = std::max(end, s.run().end_s);
    run.peak_batch = std::max(run.peak_batch, s.run().peak_batch);
  }
  run.span_s = requests.empty() ? 0 : end - requests.front().arrival_s;
  SummarizeServed(requests, served, slo, run);
  return run;
}

void SummarizeServed(const std::vector<ServingRequest>& requests,
                     const std::vector<ServedRequest>& served, const ServiceLevel& slo,
                     ServiceRun& run) {
  run.requests = static_cast<std::int64_t>(requests.size());
  run.arrival_window_s =
      requests.empty() ? 0 : requests.back().arrival_s - requests.front().arrival_s;
  std::vector<double> ttft, tpot;
  ttft.reserve(served.size());
  tpot.reserve(served.size());
  std::int64_t met = 0;
  for (const ServedRequest& s : served) {
    ttft.push_back(s.ttft_s);
    tpot.push_back(s.tpot_s);
    if (s.ttft_s <= slo.ttft_s && s.tpot_s <= slo.tpot_s) ++met;
  }
  run.attainment = served.empty() ? 1 : static_cast<double>(met) / double(served.size());
  run.ttft = Summarize(std::move(ttft), slo.percentile);
  run.tpot = Summarize(std::move(tpot), slo.percentile);
  run.slo_met =
      run.ttft.at_slo_percentile <= slo.ttft_s && run.tpot.at_slo_percentile <= slo.tpot_s;
}

double ServiceItEnergyJ(const ServiceRun& run, int tp, const NodePower& node, int gpus_per_node) {
  if (gpus_per_node < 1) return 0;
  const double gpus = static_cast<double>(run.replicas) * tp;
  // Every GPU idles for the span; each adds its busy increment while its replica runs passes.
  const double idle_j = node.idle_w / gpus_per_node * gpus * run.span_s;
  const double busy_j = node.per_busy_gpu_w * tp * run.busy_s;
  return idle_j + busy_j;
}

double ServiceItEnergyOnBuiltinServerJ(const ServiceRun& run, int tp, const GpuModel& gpu) {
  for (const NodeType& type : BuiltinNodeTypes()) {
    if (type.gpu == gpu.name)
      return ServiceItEnergyJ(run, tp, NodePowerOf(type, gpu), type.gpus_per_node);
  }
  return 0;
}

IdleLatency IdleLatencyBound(const ReplicaModel& model, const BatchingLimits& limits,
                             const std::vector<ServingRequest>& requests, double percentile) {
  std::vector<double> ttft, tpot;
  ttft.reserve(requests.size());
  tpot.reserve(requests.size());
  const std::int64_t chunk = std::max(1, limits.max_tokens_per_pass);
  for (const ServingRequest& r : requests) {
    // Its prompt alone, in chunks of the pass budget.
    double prefill = 0;
    for (std::int64_t done = 0; done < r.prompt_tokens; done += chunk) {
      const std::int64_t c = std::min<std::int64_t>(chunk, r.prompt_tokens - done);
      ReplicaIteration pass;
      pass.prefill_tokens = c;
      pass.prefill_attention_pairs = ChunkAttentionPairs(c, done);
      prefill += model.Iteration(pass).seconds;
    }
    ttft.push_back(prefill);
    // Its fastest decode: alone, over the shortest context it has (the prompt and one token).
    ReplicaIteration decode;
    decode.decodes = 1;
    decode.decode_context = std::int64_t{r.prompt_tokens} + 1;
    tpot.push_back(r.output_tokens > 1 ? model.Iteration(decode).seconds : 0);
  }
  return {Summarize(std::move(ttft), percentile).at_slo_percentile,
          Summarize(std::move(tpot), percentile).at_slo_percentile};
}

Result<ServiceRun> FewestReplicasMeeting(const ReplicaModel& model, const BatchingLimits& limits,
                                         const std::vector<ServingRequest>& requests,
                                         const ServiceLevel& slo, int max_replicas) {
  if (max_replicas < 1) return Error{"the replica limit must be at least 1"};
  // No count of replicas beats an idle replica for every request: refuse at once what that misses.
  const IdleLatency idle = IdleLatencyBound(model, limits, requests, slo.percentile);
  if (idle.ttft_s > slo.ttft_s || idle.tpot_s > slo.tpot_s) {
    char text[320];
    std::snprintf(text, sizeof text,
                  "the SLO cannot be met even with an idle replica for every request: p%g TTFT "
                  "at least %.3f s against %.3f s, p%g TPOT at least %.4f s against %.4f s",
                  slo.percentile, idle.ttft_s, slo.ttft_s, slo.percentile, idle.tpot_s, slo.tpot_s);
    return Error{text, ErrorCode::kUnsatisfiable};
  }
  // With a replica per request, every arrival finds one with nothing outstanding: more cannot help.
  max_replicas = static_cast<int>(
      std::min<std::int64_t>(max_replicas, std::max<std::int64_t>(1, std::ssize(requests))));
  auto run = [&](int n) { return ServeOnReplicas(model, limits, n, requests, slo); };
  // Double until the SLO holds (or the limit is reached), then bisect between the last that
  // missed and the first that met it.
  int low = 0;  // the most replicas known to miss
  int high = 1;
  Result<ServiceRun> at_high = run(high);
  while (at_high.ok() && !at_high.value().slo_met && high < max_replicas) {
    low = high;
    high = high > max_replicas / 2 ? max_replicas : high * 2;
    at_high = run(high);
  }
  if (!at_high.ok()) return at_high;
  if (!at_high.value().slo_met) {
    const ServiceRun& v = at_high.value();
    char text[256];
    std::snprintf(text, sizeof text,
                  "the SLO is not met even by %d replicas: p%g TTFT %.3f s against %.3f s, "
                  "p%g TPOT %.4f s against %.4f s",
                  high, slo.percentile, v.ttft.at_slo_percentile, slo.ttft_s, slo.percentile,
                  v.tpot.at_slo_percentile, slo.tpot_s);
    return Error{text, ErrorCode::kUnsatisfiable};
  }
  while (high - low > 1) {
    const int mid = low + (high - low) / 2;
    Result<ServiceRun> at_mid = run(mid);
    if (!at_mid.ok()) return at_mid;
    if (at_mid.value().slo_met) {
      high = mid;
      at_high = std::move(at_mid);
    } else {
      low = mid;
    }
  }
  return at_high;
}

}  // namespace gpufleet
