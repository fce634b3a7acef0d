#include "physics/serving_autoscale.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace gpufleet {
namespace {

enum class State { kLoading, kServing, kDraining, kGone };

struct Replica {
  ReplicaServer server;
  State state;
  double added_s;  // the decision to add it: its GPUs are held from then
  double ready_s;  // its first pass may start
  double drained_s = 0;
  double gone_s = 0;  // its last request finished after it was drained
  std::int64_t routed = 0;
};

}  // namespace

Status CheckAutoscalePolicy(const AutoscalePolicy& p) {
  auto in = [](double v, double lo, double hi) { return std::isfinite(v) && v > lo && v <= hi; };
  if (p.min_replicas < 1) return Error{"autoscaling: at least one replica (min_replicas >= 1)"};
  if (p.max_replicas < p.min_replicas) return Error{"autoscaling: max_replicas below min_replicas"};
  if (p.initial_replicas != 0 &&
      (p.initial_replicas < p.min_replicas || p.initial_replicas > p.max_replicas)) {
    return Error{"autoscaling: the initial replicas must lie within min and max"};
  }
  if (!in(p.interval_s, 0, 1e9)) return Error{"autoscaling: the interval must be positive"};
  if (!in(p.scale_up_at, 0, 1)) return Error{"autoscaling: scale_up_at must be in (0, 1]"};
  if (!in(p.scale_down_below, 0, 1))
    return Error{"autoscaling: scale_down_below must be in (0, 1]"};
  if (!(p.target_outstanding >= 0 && p.target_outstanding < 1e9)) {
    return Error{"autoscaling: the target of outstanding requests must be finite, from 0"};
  }
  if (!(p.scale_down_after_s >= 0 && p.scale_down_after_s < 1e12) ||
      !(p.load_s >= 0 && p.load_s < 1e12)) {
    return Error{"autoscaling: scale_down_after and the load time must be finite, from 0"};
  }
  return Status::Ok();
}

double TargetOutstanding(const ReplicaModel& model, const BatchingLimits& limits,
                         double mean_context, double tpot_s, double fraction) {
  auto decode = [&](std::int64_t batch) {
    ReplicaIteration pass;
    pass.decodes = batch;
    pass.decode_context = static_cast<std::int64_t>(std::llround(mean_context * double(batch)));
    return model.Iteration(pass).seconds;
  };
  // The pass time grows with the batch: the largest batch within the mark, by bisection.
  // Past the batch limit requests queue for a place: the same headroom applies to it.
  std::int64_t lo = 1, hi = std::max<std::int64_t>(
                           1, static_cast<std::int64_t>(fraction * limits.max_batch));
  if (decode(lo) > fraction * tpot_s) return 1;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo + 1) / 2;
    if (decode(mid) <= fraction * tpot_s) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return static_cast<double>(lo);
}

double ReplicaLoadSeconds(const ReplicaModel& model, double startup_s, double load_gb_s) {
  return startup_s + (load_gb_s > 0 ? model.weight_bytes_per_gpu() / (load_gb_s * 1e9) : 0);
}

Result<AutoscaledRun> ServeAutoscaled(const ReplicaModel& model, const BatchingLimits& limits,
                                      const std::vector<ServingRequest>& requests,
                                      const ServiceLevel& slo, const AutoscalePolicy& policy) {
  if (Status st = CheckAutoscalePolicy(policy); !st.ok()) return Error{st.message(), st.code()};
  if (Status st = CheckServiceInputs(limits, requests, slo); !st.ok())
    return Error{st.message(), st.code()};
  AutoscaledRun out;
  const double t0 = requests.empty() ? 0 : requests.front().arrival_s;
  // Each look costs a pass over the replicas and the requests in flight: their number is bounded,
  // and each must come after the last (an interval below the spacing of doubles at the arrivals'
  // times would repeat one look forever). A large backlog still makes each look long.
  constexpr double kMaxLooks = 1e8;
  if (!requests.empty()) {
    const double last = requests.back().arrival_s;
    char interval[32];
    std::snprintf(interval, sizeof interval, "%g s", policy.interval_s);
    if ((last - t0) / policy.interval_s > kMaxLooks) {
      return Error{std::string("autoscaling: an interval of ") + interval +
                   " over the demand's span makes more than 1e8 looks; take a longer interval"};
    }
    if (!(last + policy.interval_s > last)) {
      return Error{std::string("autoscaling: an interval of ") + interval +
                   " is below the resolution of the arrivals' times"};
    }
  }
  std::vector<ServedRequest> served(requests.size());
  std::deque<Replica> replicas;  // stable addresses: a server refers to `served`
  double last_ready_s = t0;      // when the newest replica starts (or started) to serve
  auto add = [&](double t, bool loaded) {
    replicas.push_back({ReplicaServer(model, limits, served),
                        loaded ? State::kServing : State::kLoading, t,
                        loaded ? t : t + policy.load_s});
    last_ready_s = std::max(last_ready_s, replicas.back().ready_s);
  };
  // `closing`: the span's end, recorded even when nothing changed there.
  auto record = [&](double t, bool closing = false) {
    ReplicaCount c{t};
    for (const Replica& r : replicas) {
      c.serving += r.state == State::kServing;
      c.loading += r.state == State::kLoading;
      c.draining += r.state == State::kDraining;
    }
    out.run.replicas = std::max(out.run.replicas, c.serving + c.loading + c.draining);
    if (!out.timeline.empty()) {
      const ReplicaCount& last = out.timeline.back();
      if (!closing && last.serving == c.serving && last.loading == c.loading &&
          last.draining == c.draining)
        return;
      // Changes are recorded in time order (settle's); several at one time leave the last.
      if (last.t_s == c.t_s) out.timeline.pop_back();
    }
    out.timeline.push_back(c);
  };
  const int initial = policy.initial_replicas > 0 ? policy.initial_replicas : policy.min_replicas;
  for (int i = 0; i < initial; ++i) add(t0, true);
  record(t0);
  // Loaded replicas start serving; drained ones whose last pass has ended by `t` leave. Their
  // changes are recorded in time order: each at or before `t`, and at or after the last settle's.
  std::vector<std::pair<double, Replica*>> changes;
  auto settle = [&](double t) {
    changes.clear();
    for (Replica& r : replicas) {
      if (r.state == State::kLoading && r.ready_s <= t) {
        r.server.RunUntil(r.ready_s);
        changes.emplace_back(r.ready_s, &r);
      } else if (r.state == State::kDraining) {
        r.server.RunUntil(t);
        const double gone = std::max(r.drained_s, r.server.run().end_s);
        if (r.server.outstanding() == 0 && gone <= t) changes.emplace_back(gone, &r);
      }
    }
    std::stable_sort(changes.begin(), changes.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [at, r] : changes) {
      if (r->state == State::kLoading) {
        r->state = State::kServing;
      } else {
        r->state = State::kGone;
        r->gone_s = at;
      }
      record(at);
    }
  };
  std::vector<std::size_t> unfinished;  // routed and not known to be finished, in arrival order
  std::vector<char> first_token_seen(requests.size(), 0);
  double calm_since = -1;      // start of the run of calm windows; below 0: none
  double outstanding_sum = 0;  // over the window's arrivals, of the serving replicas' outstanding
  std::int64_t arrivals_in_window = 0;
  std::vector<double> ttft_window, tpot_window;
  auto tick = [&](double t) {
    for (Replica& r : replicas) {
      if (r.state != State::kGone) r.server.RunUntil(t);
    }
    settle(t);
    // The window's samples: first tokens and finishes since the last look; a request still
    // waiting for its first token counts with its wait so far, so that a growing queue shows
    // before its requests are served.
    ttft_window.clear();
    tpot_window.clear();
    std::size_t kept = 0;
    for (const std::size_t i : unfinished) {
      const ServedRequest& s = served[i];
      const bool first = s.first_token_s > 0 && s.first_token_s <= t;
      if (first && !first_token_seen[i]) {
        ttft_window.push_back(s.ttft_s);
        first_token_seen[i] = 1;
      } else if (!first) {
        ttft_window.push_back(t - requests[i].arrival_s);
      }
      if (s.finish_s > 0 && s.finish_s <= t) {
        tpot_window.push_back(s.tpot_s);
        continue;
      }
      unfinished[kept++] = i;
    }
    unfinished.resize(kept);
    const double ttft = NearestRankPercentile(ttft_window, slo.percentile);
    const double tpot = NearestRankPercentile(tpot_window, slo.percentile);
    int serving = 0, loading = 0;
    for (const Replica& r : replicas) {
      serving += r.state == State::kServing;
      loading += r.state == State::kLoading;
    }
    const int held = serving + loading;
    // The replicas the window's load wants; without a target or an arrival, as many as serve.
    int wanted = serving;
    // Whether one replica fewer would still carry the load below scale_down_below of the target.
    bool fewer_carry = true;
    if (policy.target_outstanding > 0 && arrivals_in_window > 0) {
      const double mean = outstanding_sum / double(arrivals_in_window);
      // Clamped before the cast: a tiny target would overflow an int.
      wanted = static_cast<int>(std::ceil(
          std::min(mean / policy.target_outstanding - 1e-9, double(policy.max_replicas))));
      fewer_carry = mean <= policy.scale_down_below * policy.target_outstanding * (serving - 1);
    }
    outstanding_sum = 0;
    arrivals_in_window = 0;
    const double pressure = std::max(ttft / (policy.scale_up_at * slo.ttft_s),
                                     tpot / (policy.scale_up_at * slo.tpot_s));
    if (pressure > 1 || wanted > held) {
      calm_since = -1;
      // While replicas load, the ones asked for are on their way: adding more would overshoot.
      if (loading == 0 && held < policy.max_replicas) {
        const double by_latency =
            pressure > 1 ? std::ceil(held * (std::min(pressure, 2.0) - 1)) : 0;
        const int more = std::min({policy.max_replicas - held, held,
                                   std::max({1, static_cast<int>(by_latency), wanted - held})});
        for (int k = 0; k < more; ++k) add(t, false);
        ++out.scale_ups;
        record(t);
      }
    } else if (fewer_carry &&
               pressure * serving / std::max(1, serving - 1) < policy.scale_down_below) {
      // The latencies with one replica fewer, taken to grow as its share of the load moves to the
      // others (a guess that errs low near saturation, hence the margin of scale_down_below).
      // The calm counts from the window's start, and never from before the newest replica
      // served: one that has just come into service is not drained for a calm it did not see.
      if (calm_since < 0) calm_since = std::max(t - policy.interval_s, last_ready_s);
      if (t - calm_since >= policy.scale_down_after_s && loading == 0 &&
          serving > policy.min_replicas) {
        // The serving replica with the fewest outstanding; ties to the newest.
        Replica* drain = nullptr;
        for (Replica& r : replicas) {
          if (r.state == State::kServing &&
              (drain == nullptr || r.server.outstanding() <= drain->server.outstanding()))
            drain = &r;
        }
        drain->state = State::kDraining;
        drain->drained_s = t;
        ++out.scale_downs;
        record(t);
        settle(t);
      }
    } else {
      calm_since = -1;
    }
  };
  // The k-th look at t0 + k x interval, counted in integers: a sum of intervals would drift, and
  // stall where the interval falls below the spacing of doubles at t.
  std::int64_t looks = 1;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const ServingRequest& r = requests[i];
    for (double at = t0 + double(looks) * policy.interval_s; at <= r.arrival_s;
         at = t0 + double(++looks) * policy.interval_s) {
      tick(at);
    }
    settle(r.arrival_s);
    Replica* best = nullptr;
    std::int64_t best_load = 0;
    for (Replica& k : replicas) {
      if (k.state != State::kServing) continue;
      k.server.RunUntil(r.arrival_s);
      const std::int64_t load = k.server.OutstandingAt(r.arrival_s);
      outstanding_sum += static_cast<double>(load);
      if (best == nullptr || load < best_load) {
        best = &k;
        best_load = load;
      }
    }
    // At least min_replicas >= 1 serve at all times: a drain never takes the last.
    if (Status st = best->server.Add(i, r); !st.ok()) return Error{st.message(), st.code()};
    ++best->routed;
    ++arrivals_in_window;
    unfinished.push_back(i);
    out.run.prompt_tokens += r.prompt_tokens;
    out.run.output_tokens += r.output_tokens;
  }
  // No look after the last arrival: the requests left are served by the replicas there are. Those
  // still loading serve from their readiness, the drained ones leave after their last pass.
  double end = t0;
  for (Replica& r : replicas) {
    r.server.RunToEnd();
    end = std::max(end, r.server.run().end_s);
  }
  settle(end);
  record(end, true);
  for (const Replica& r : replicas) {
    out.run.busy_s += r.server.run().busy_s;
    out.run.peak_batch = std::max(out.run.peak_batch, r.server.run().peak_batch);
    out.run.requests_per_replica.push_back(r.routed);
    const double until = r.state == State::kGone ? r.gone_s : std::max(end, r.added_s);
    out.replica_seconds += until - r.added_s;
    const double drained = r.state == State::kGone ? r.drained_s : until;
    out.lives.push_back({r.added_s, r.ready_s, drained, until, r.routed});
  }
  out.run.span_s = end - t0;
  SummarizeServed(requests, served, slo, out.run);
  return out;
}

}  // namespace gpufleet
