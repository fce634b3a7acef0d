#include "physics/serving_fluid_autoscale.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace gpufleet {
namespace {

constexpr double kNeverS = std::numeric_limits<double>::infinity();

struct Life {
  double added_s = 0, ready_s = 0;
  double drained_s = kNeverS, gone_s = kNeverS;
};

// Replica-seconds taking requests in each window of `demand` from spans [from, until), and the
// spans still taking requests at the demand's end (begun by then, not stopped before it: a span
// the run's end cut is still taking).
std::pair<std::vector<double>, double> TakingPerWindow(
    const std::vector<std::pair<double, double>>& spans, const FluidDemand& demand) {
  std::vector<double> taking(demand.windows.size(), 0);
  const double w = demand.window_s;
  const double end = demand.end_s();
  double after = 0;
  for (const auto& [from, until] : spans) {
    if (from <= end && until >= end) after += 1;
    const double a = std::max(0.0, from), b = std::min(until, end);
    if (!(b > a) || taking.empty()) continue;
    const auto first = std::min(taking.size() - 1, static_cast<std::size_t>(a / w));
    const auto last = std::min(taking.size() - 1, static_cast<std::size_t>(b / w));
    for (std::size_t k = first; k <= last; ++k) {
      const double lo = std::max(a, demand.start_s(k));
      const double hi = std::min(b, demand.start_s(k) + demand.span_s(k));
      if (hi > lo) taking[k] += hi - lo;
    }
  }
  return {std::move(taking), after};
}

// The timeline of the replicas' states from their lives, up to `end`.
std::vector<ReplicaCount> TimelineOf(const std::vector<Life>& lives, double end) {
  struct Change {
    double t;
    int serving, loading, draining;
  };
  std::vector<Change> changes;
  for (const Life& l : lives) {
    const bool loads = l.ready_s > l.added_s;
    changes.push_back({l.added_s, loads ? 0 : 1, loads ? 1 : 0, 0});
    if (loads && l.ready_s < std::min(l.drained_s, end)) changes.push_back({l.ready_s, 1, -1, 0});
    if (l.drained_s < end) {
      const bool served = l.ready_s <= l.drained_s;
      changes.push_back({l.drained_s, served ? -1 : 0, served ? 0 : -1, 1});
      if (l.gone_s <= end) changes.push_back({l.gone_s, 0, 0, -1});
    }
  }
  std::stable_sort(changes.begin(), changes.end(),
                   [](const Change& a, const Change& b) { return a.t < b.t; });
  std::vector<ReplicaCount> timeline;
  ReplicaCount now;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    now.serving += changes[i].serving;
    now.loading += changes[i].loading;
    now.draining += changes[i].draining;
    if (i + 1 < changes.size() && changes[i + 1].t == changes[i].t) continue;
    now.t_s = changes[i].t;
    if (!timeline.empty() && timeline.back().serving == now.serving &&
        timeline.back().loading == now.loading && timeline.back().draining == now.draining)
      continue;
    timeline.push_back(now);
  }
  now.t_s = end;
  timeline.push_back(now);
  return timeline;
}

}  // namespace

int FluidReplicasAtStart(const ReplicaModel& model, const BatchingLimits& limits,
                         const FluidDemand& demand, const ServiceLevel& slo, double window_s,
                         int least, int most) {
  double requests = 0, span = 0;
  for (std::size_t k = 0; k < demand.windows.size() && demand.start_s(k) < window_s; ++k) {
    requests += demand.windows[k].requests;
    span += demand.span_s(k);
  }
  if (span <= 0) return least;
  const FluidService service(model, limits, demand, slo);
  return service.FewestReplicas(requests / span, 1, 0, least, most);
}

Result<AutoscaledRun> ServeFluidAutoscaled(const ReplicaModel& model, const BatchingLimits& limits,
                                           const FluidDemand& demand, const ServiceLevel& slo,
                                           const AutoscalePolicy& policy) {
  if (Status st = CheckAutoscalePolicy(policy); !st.ok()) return Error{st.message(), st.code()};
  if (!(demand.window_s > 0)) return Error{"fluid serving: the window must be positive"};
  FluidService service(model, limits, demand, slo);
  const double w = demand.window_s;
  std::vector<Life> lives;
  const int initial = policy.initial_replicas > 0 ? policy.initial_replicas : policy.min_replicas;
  for (int i = 0; i < initial; ++i) lives.push_back({0, 0});
  AutoscaledRun out;
  double calm_since = -1, last_ready_s = 0;
  int wanted_hint = initial, calm_hint = initial;  // the last answers: the next search's start
  // Drains: one a look while calm, the looks' share of a window added each window (an interval
  // longer than the window drains once in several); the first look that may drain does.
  const double first_credit = std::max(0.0, 1 - w / policy.interval_s);
  double drain_credit = first_credit;
  // The lives not drained by the window's start, in the order they were added: the drained ones
  // never come back, and a year of windows must not walk them all.
  std::vector<std::size_t> active;
  for (std::size_t i = 0; i < lives.size(); ++i) active.push_back(i);
  for (std::size_t k = 0; k < demand.windows.size(); ++k) {
    const double t = demand.start_s(k), span = demand.span_s(k);
    std::erase_if(active, [&](std::size_t i) { return lives[i].drained_s <= t; });
    int serving = 0, loading = 0;
    for (const std::size_t i : active) (lives[i].ready_s <= t ? serving : loading) += 1;
    if (k > 0) {
      const double rps =
          demand.windows[k - 1].requests / demand.span_s(k - 1) + service.backlog() / w;
      const int held = serving + loading;
      const int wanted =
          service.FewestReplicas(rps, policy.scale_up_at, policy.target_outstanding,
                                 policy.min_replicas, policy.max_replicas, wanted_hint);
      wanted_hint = wanted;
      if (wanted > held) {
        calm_since = -1;
        drain_credit = first_credit;
        if (loading == 0 && held < policy.max_replicas) {
          const int more = std::min({policy.max_replicas - held, std::max(1, held), wanted - held});
          for (int i = 0; i < more; ++i) {
            active.push_back(lives.size());
            lives.push_back({t, t + policy.load_s});
          }
          last_ready_s = t + policy.load_s;
          ++out.scale_ups;
        }
      } else {
        const int calm =
            service.FewestReplicas(rps, policy.scale_up_at * policy.scale_down_below,
                                   policy.target_outstanding * policy.scale_down_below,
                                   policy.min_replicas, policy.max_replicas, calm_hint);
        calm_hint = calm;
        if (calm < serving) {
          if (calm_since < 0) calm_since = std::max(t - w, last_ready_s);
          if (t - calm_since >= policy.scale_down_after_s && loading == 0) {
            // A look's drain is owed each `interval`: whole ones are taken, the rest carried.
            drain_credit = std::min(drain_credit, 1.0) + w / policy.interval_s;
            int drain = std::min(serving - std::max(calm, policy.min_replicas),
                                 static_cast<int>(drain_credit));
            drain_credit -= std::max(0, drain);
            const double leave = t + service.MeanLatency(rps, serving);
            for (auto it = active.rbegin(); it != active.rend() && drain > 0; ++it) {
              Life& l = lives[*it];
              if (l.ready_s > t) continue;
              l.drained_s = t;
              l.gone_s = leave;
              --drain;
              ++out.scale_downs;
            }
          }
        } else {
          calm_since = -1;
          drain_credit = first_credit;
        }
      }
    }
    double taking = 0;
    for (const std::size_t i : active) {
      const Life& l = lives[i];
      const double from = std::max(l.ready_s, t), until = std::min(l.drained_s, t + span);
      if (until > from) taking += until - from;
    }
    service.Serve(k, span > 0 ? taking / span : 0);
  }
  // The backlog left is served by the replicas serving at the end (those still loading are left
  // out, as the replay leaves them out).
  const double windows_end = demand.end_s();
  int serving_after = 0;
  for (const Life& l : lives) serving_after += l.drained_s > windows_end && l.ready_s < windows_end;
  const double end = service.Finish(serving_after);
  for (Life& l : lives) {
    if (l.drained_s > end) l.drained_s = end;
    l.gone_s = std::min(l.gone_s, std::max(end, l.drained_s));
  }
  // Each replica's share of the requests: the window's per replica-second over its time taking.
  const std::vector<double>& rate = service.served_per_replica_second();
  std::vector<double> cumulative(rate.size() + 1, 0);
  for (std::size_t k = 0; k < rate.size(); ++k)
    cumulative[k + 1] = cumulative[k] + rate[k] * demand.span_s(k);
  auto served_until = [&](double t) {
    if (rate.empty() || t <= 0) return 0.0;
    const auto k = std::min(rate.size(), static_cast<std::size_t>(t / w));
    return cumulative[k] +
           (k < rate.size() ? rate[k] * std::min(t - demand.start_s(k), demand.span_s(k)) : 0);
  };
  PlacedServiceRun placed = service.Result();
  out.run = std::move(placed.run);
  for (const Life& l : lives) {
    const double from = std::min(l.ready_s, l.drained_s);
    const auto routed = std::llround(served_until(l.drained_s) - served_until(from));
    out.run.requests_per_replica.push_back(routed);
    out.lives.push_back({l.added_s, l.ready_s, l.drained_s, l.gone_s, routed});
    out.replica_seconds += l.gone_s - l.added_s;
  }
  out.timeline = TimelineOf(lives, end);
  for (const ReplicaCount& c : out.timeline)
    out.run.replicas = std::max(out.run.replicas, c.serving + c.loading + c.draining);
  return out;
}

Result<PlacedServiceRun> ServeFluidInWindows(const ReplicaModel& model,
                                             const BatchingLimits& limits,
                                             const FluidDemand& demand, const ServiceLevel& slo,
                                             const std::vector<ReplicaWindow>& windows,
                                             const std::vector<ArrivalPeriod>& periods) {
  if (!(demand.window_s > 0)) return Error{"fluid serving: the window must be positive"};
  std::vector<std::pair<double, double>> spans;
  spans.reserve(windows.size());
  for (const ReplicaWindow& r : windows) spans.emplace_back(r.from_s, r.until_s);
  const auto [taking, after] = TakingPerWindow(spans, demand);
  FluidService service(model, limits, demand, slo, periods);
  for (std::size_t k = 0; k < demand.windows.size(); ++k) {
    const double span = demand.span_s(k);
    service.Serve(k, span > 0 ? taking[k] / span : 0);
  }
  service.Finish(after);
  PlacedServiceRun out = service.Result();
  out.run.replicas = static_cast<int>(windows.size());
  return out;
}

}  // namespace gpufleet
