#include "physics/serving_placed.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <numeric>
#include <unordered_map>

namespace gpufleet {

Result<PlacedServiceRun> ServeInWindows(const ReplicaModel& model, const BatchingLimits& limits,
                                        const std::vector<ServingRequest>& requests,
                                        const ServiceLevel& slo,
                                        const std::vector<ReplicaWindow>& windows,
                                        const std::vector<ArrivalPeriod>& periods) {
  if (Status st = CheckServiceInputs(limits, requests, slo); !st.ok())
    return Error{st.message(), st.code()};
  for (const ReplicaWindow& w : windows) {
    if (!(std::isfinite(w.from_s) && w.from_s <= w.until_s)) {
      return Error{"a replica's window must start at a finite time and end no earlier"};
    }
    if (!(w.cut_s >= w.until_s)) {
      return Error{"a replica's window must be cut no earlier than it stops taking requests"};
    }
  }
  std::vector<ServedRequest> served(requests.size());
  std::deque<ReplicaServer> servers;  // one per window, stable addresses
  for (std::size_t k = 0; k < windows.size(); ++k) servers.emplace_back(model, limits, served);
  // The windows by opening time: the router's backlog goes to those that open.
  std::vector<std::size_t> by_opening(windows.size());
  std::iota(by_opening.begin(), by_opening.end(), 0);
  std::stable_sort(by_opening.begin(), by_opening.end(), [&](std::size_t a, std::size_t b) {
    return windows[a].from_s < windows[b].from_s;
  });
  PlacedServiceRun out;
  out.run.replicas = static_cast<int>(windows.size());
  out.run.requests_per_replica.assign(windows.size(), 0);
  std::vector<char> taken(requests.size(), 0);
  std::vector<char> held(requests.size(), 0);  // waited at the router at some time
  std::deque<std::size_t> backlog;  // arrived while no replica took requests, in arrival order
  // The windows open at the router's time, in order of opening (ties to the earliest opened):
  // those closed leave as time passes, so that a long run's many replicas cost only while open.
  std::vector<std::size_t> open;
  std::size_t activated = 0;
  // Request i to the taking replica with the fewest outstanding at `t` (its arrival, or when a
  // window opened for the backlog; never decreasing); false when none takes requests then.
  auto route = [&](std::size_t i, double t) -> Result<bool> {
    for (; activated < by_opening.size() && windows[by_opening[activated]].from_s <= t;
         ++activated) {
      open.push_back(by_opening[activated]);
    }
    std::erase_if(open, [&](std::size_t k) { return windows[k].until_s <= t; });
    std::size_t best = windows.size();
    std::int64_t best_load = 0;
    for (const std::size_t k : open) {
      servers[k].RunUntil(t);
      const std::int64_t load = servers[k].OutstandingAt(t);
      if (best == windows.size() || load < best_load) {
        best = k;
        best_load = load;
      }
    }
    if (best == windows.size()) return false;
    ServingRequest r = requests[i];
    r.arrival_s = t;  // held at the router until then; its TTFT is counted from its arrival below
    if (Status st = servers[best].Add(i, r); !st.ok()) return Error{st.message(), st.code()};
    ++out.run.requests_per_replica[best];
    taken[i] = 1;
    return true;
  };
  std::size_t next_opening = 0;
  // Request i waits at the router: in arrival order (a retried request goes ahead of those that
  // arrived after it).
  auto hold = [&](std::size_t i) {
    backlog.insert(std::upper_bound(backlog.begin(), backlog.end(), i), i);
  };
  // Windows opening by `t` take the backlog, in order of opening.
  auto open_until = [&](double t) -> Status {
    for (; next_opening < by_opening.size() && windows[by_opening[next_opening]].from_s <= t;
         ++next_opening) {
      const double at = windows[by_opening[next_opening]].from_s;
      while (!backlog.empty()) {
        Result<bool> routed = route(backlog.front(), at);
        if (!routed.ok()) return routed.status();
        if (!routed.value()) break;  // it opened and closed at once
        held[backlog.front()] = 1;
        backlog.pop_front();
      }
    }
    return Status::Ok();
  };
  // The cut windows by cut time; the first token of a request cut after it was out (the stream
  // the user saw began then).
  std::vector<std::size_t> by_cut;
  for (std::size_t k = 0; k < windows.size(); ++k) {
    if (std::isfinite(windows[k].cut_s)) by_cut.push_back(k);
  }
  std::stable_sort(by_cut.begin(), by_cut.end(), [&](std::size_t a, std::size_t b) {
    return windows[a].cut_s < windows[b].cut_s;
  });
  std::unordered_map<std::size_t, double> first_token_out;
  std::size_t next_cut = 0;
  // Windows open and cut by `t`, in time order (an opening at a cut's instant first: it takes
  // the backlog before the cut requests join it).
  auto advance = [&](double t) -> Status {
    for (; next_cut < by_cut.size() && windows[by_cut[next_cut]].cut_s <= t; ++next_cut) {
      const std::size_t k = by_cut[next_cut];
      const double at = windows[k].cut_s;
      if (Status st = open_until(at); !st.ok()) return st;
      servers[k].RunUntil(at);
      for (const ReplicaServer::Held& h : servers[k].Cut(at)) {
        ++out.retried;
        taken[h.index] = 0;
        if (h.first_token_out) first_token_out.try_emplace(h.index, served[h.index].first_token_s);
        bool routed_now = false;
        if (backlog.empty()) {
          Result<bool> routed = route(h.index, at);
          if (!routed.ok()) return routed.status();
          routed_now = routed.value();
        }
        if (!routed_now) hold(h.index);
      }
    }
    return open_until(t);
  };
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const ServingRequest& r = requests[i];
    if (Status st = advance(r.arrival_s); !st.ok()) return Error{st.message(), st.code()};
    bool routed_now = false;
    if (backlog.empty()) {  // else it waits behind those already waiting
      Result<bool> routed = route(i, r.arrival_s);
      if (!routed.ok()) return routed.error();
      routed_now = routed.value();
    }
    if (!routed_now) backlog.push_back(i);
  }
  if (Status st = advance(HUGE_VAL); !st.ok()) return Error{st.message(), st.code()};
  double end = requests.empty() ? 0 : requests.front().arrival_s;
  for (ReplicaServer& s : servers) {
    s.RunToEnd();
    end = std::max(end, s.run().end_s);
    out.run.busy_s += s.run().busy_s;
    out.run.peak_batch = std::max(out.run.peak_batch, s.run().peak_batch);
  }
  // The served, with their TTFT from their arrival (the router's wait in it); the unserved miss.
  std::vector<ServingRequest> kept_requests;
  std::vector<ServedRequest> kept;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (!taken[i]) {
      ++out.unserved;
      continue;
    }
    out.held_at_router += held[i];  // once, however often it waited
    if (auto it = first_token_out.find(i); it != first_token_out.end()) {
      // Retried after its first token was out: the stream began then and stalled until the retry
      // caught up (its TPOT takes the stall).
      ServedRequest& v = served[i];
      v.first_token_s = std::min(v.first_token_s, it->second);
      const std::int32_t n = requests[i].output_tokens;
      v.tpot_s = n > 1 ? (v.finish_s - v.first_token_s) / (n - 1) : 0;
    }
    served[i].ttft_s = served[i].first_token_s - requests[i].arrival_s;
    out.run.prompt_tokens += requests[i].prompt_tokens;
    out.run.output_tokens += requests[i].output_tokens;
    kept_requests.push_back(requests[i]);
    kept.push_back(served[i]);
  }
  // Requests come by arrival: each period's are one run of them.
  for (const ArrivalPeriod& period : periods) {
    PeriodAttainment counted;
    const auto first =
        std::lower_bound(requests.begin(), requests.end(), period.from_s,
                         [](const ServingRequest& r, double t) { return r.arrival_s < t; });
    for (auto it = first; it != requests.end() && it->arrival_s < period.until_s; ++it) {
      const std::size_t i = static_cast<std::size_t>(it - requests.begin());
      ++counted.requests;
      if (taken[i] && served[i].ttft_s <= slo.ttft_s && served[i].tpot_s <= slo.tpot_s)
        ++counted.met;
    }
    out.periods.push_back(counted);
  }
  out.run.span_s = requests.empty() ? 0 : end - requests.front().arrival_s;
  SummarizeServed(kept_requests, kept, slo, out.run);
  out.run.requests = std::ssize(requests);
  out.run.arrival_window_s =
      requests.empty() ? 0 : requests.back().arrival_s - requests.front().arrival_s;
  if (out.unserved > 0) {
    // The unserved miss the SLO and rank last: the SLO's percentile over all the requests is the
    // served ones' at a higher percentile, or past them all.
    const double n = double(requests.size()), m = double(kept.size());
    out.run.attainment = out.run.attainment * m / n;
    const double p = m > 0 ? slo.percentile * n / m : HUGE_VAL;
    if (p > 100) {
      // The percentile falls on an unserved request: never served, infinitely late.
      out.run.ttft.at_slo_percentile = out.run.tpot.at_slo_percentile = HUGE_VAL;
      out.run.slo_met = false;
    } else {
      std::vector<double> ttft, tpot;
      for (const ServedRequest& k : kept) {
        ttft.push_back(k.ttft_s);
        tpot.push_back(k.tpot_s);
      }
      out.run.ttft.at_slo_percentile = NearestRankPercentile(std::move(ttft), p);
      out.run.tpot.at_slo_percentile = NearestRankPercentile(std::move(tpot), p);
      out.run.slo_met = out.run.ttft.at_slo_percentile <= slo.ttft_s &&
                        out.run.tpot.at_slo_percentile <= slo.tpot_s;
    }
  }
  return out;
}

}  // namespace gpufleet
