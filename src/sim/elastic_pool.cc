#include "sim/elastic_pool.h"

#include <algorithm>

#include "sched/dispatch.h"

namespace gpufleet {

QueueForecast ForecastStarts(std::int64_t free_gpus, std::vector<RunningLoad> running,
                             const std::vector<QueuedLoad>& queued, SimTime now) {
  auto later = [](const RunningLoad& a, const RunningLoad& b) { return a.ends > b.ends; };
  std::make_heap(running.begin(), running.end(), later);
  std::int64_t total = free_gpus;
  for (const RunningLoad& r : running) total += r.gpus;
  QueueForecast out;
  out.starts.reserve(queued.size());
  out.spare_now = -1;
  SimTime t = now;
  for (const QueuedLoad& q : queued) {
    // More than all the capacity given ever holds: it would wait for ever, and block no one.
    if (q.gpus > total) {
      out.starts.push_back(kNever);
      continue;
    }
    while (free_gpus < q.gpus) {
      std::pop_heap(running.begin(), running.end(), later);
      if (out.spare_now < 0 && running.back().ends > now) out.spare_now = free_gpus;
      t = std::max(t, running.back().ends);
      free_gpus += running.back().gpus;
      running.pop_back();
    }
    out.starts.push_back(t);
    free_gpus -= q.gpus;
    running.push_back({t + std::max<SimTime>(q.estimate, 1), q.gpus});
    std::push_heap(running.begin(), running.end(), later);
  }
  if (out.spare_now < 0) out.spare_now = free_gpus;
  return out;
}

ElasticPool::ElasticPool(const Fleet& fleet, std::vector<BoundOutage> outages)
    : fleet_(fleet), outages_(std::move(outages)) {
  for (int s = 0; s < static_cast<int>(fleet.sites().size()); ++s) {
    const Site& site = fleet.sites()[static_cast<size_t>(s)];
    if (!site.elastic) continue;
    SiteState state;
    state.site = s;
    state.rent = *site.elastic;
    state.marginal_usd = MarginalGpuHourUsd(fleet, s, MeanGpuTdpW(fleet, s));
    state.stats.site = s;
    auto [first, last] = fleet.NodeRange(site.topo);
    for (NodeId n = first; n < last; ++n) {
      state.nodes.push_back(n);
      const ModelId m = fleet.NodeModel(n);
      if (m >= 0 && m < 64) state.models |= std::uint64_t{1} << m;
    }
    sites_.push_back(std::move(state));
  }
  std::stable_sort(sites_.begin(), sites_.end(), [](const SiteState& a, const SiteState& b) {
    return a.marginal_usd < b.marginal_usd;
  });
  for (const SiteState& s : sites_) nodes_.insert(nodes_.end(), s.nodes.begin(), s.nodes.end());
  std::sort(nodes_.begin(), nodes_.end());
  if (nodes_.empty()) return;
  first_node_ = nodes_.front();
  nodes_state_.resize(static_cast<size_t>(nodes_.back() - first_node_ + 1));
  for (size_t k = 0; k < sites_.size(); ++k) {
    for (NodeId n : sites_[k].nodes) NodeOf(n).site = static_cast<std::int32_t>(k);
  }
}

bool ElasticPool::IsElastic(NodeId n) const {
  return !nodes_.empty() && n >= first_node_ && n <= nodes_.back() && NodeOf(n).site >= 0;
}

bool ElasticPool::Absent(NodeId n) const { return IsElastic(n) && NodeOf(n).state != State::kHeld; }

std::optional<SimTime> ElasticPool::OutageEnd(int fleet_site, SimTime t) const {
  for (const BoundOutage& o : outages_) {
    if (t < o.at || t >= o.at + o.duration) continue;
    if (std::find(o.sites.begin(), o.sites.end(), fleet_site) != o.sites.end())
      return o.at + o.duration;
  }
  return std::nullopt;
}

std::int64_t ElasticPool::TakeSpare(const QueuedLoad& q, std::vector<std::int64_t>& spare) {
  std::int64_t taken = 0;
  for (size_t m = 0; m < spare.size() && taken < q.gpus; ++m) {
    if (q.model != kAnyModel && q.model != static_cast<ModelId>(m)) continue;
    const std::int64_t take = std::min<std::int64_t>(spare[m], q.gpus - taken);
    spare[m] -= take;
    taken += take;
  }
  return taken;
}

std::int64_t ElasticPool::Ceiling(const SiteState& s, const std::vector<QueuedLoad>& queued,
                                  const std::vector<std::int64_t>& coming_by_model) const {
  std::vector<std::int64_t> need(fleet_.gpu_models().size(), 0);
  std::int64_t need_any = 0;
  // Every queued job's need by model (those of other models too: what is on its way for them is
  // not spare for the jobs of any model here), the jobs larger than the fleet left out.
  for (const QueuedLoad& q : queued) {
    if (q.gpus > fleet_.total_gpus()) continue;
    if (q.model == kAnyModel) {
      need_any += q.gpus;
    } else if (static_cast<size_t>(q.model) < need.size()) {
      need[static_cast<size_t>(q.model)] += q.gpus;
    }
  }
  std::int64_t ceiling = 0, spare_coming = 0;
  for (size_t m = 0; m < need.size(); ++m) {
    const std::int64_t coming = m < coming_by_model.size() ? coming_by_model[m] : 0;
    const bool here = m < 64 && ((s.models >> m) & 1) != 0;
    if (here) ceiling += std::max<std::int64_t>(0, need[m] - coming);
    spare_coming += std::max<std::int64_t>(0, coming - need[m]);
  }
  return ceiling + std::max<std::int64_t>(0, need_any - spare_coming);
}

bool ElasticPool::Fits(const SiteState& s, const QueuedLoad& q) const {
  // A job larger than the site may span it and others (topology any): only one larger than the
  // whole fleet, which no renting helps, is left out.
  if (q.gpus > fleet_.total_gpus()) return false;
  return q.model == kAnyModel || (q.model < 64 && ((s.models >> q.model) & 1) != 0);
}

void ElasticPool::Plan(SimTime now, std::uint64_t stamp,
                       const std::vector<std::int64_t>& free_by_model,
                       std::vector<RunningLoad> running, const std::vector<QueuedLoad>& queued,
                       bool stalled, const std::function<bool(NodeId)>& down) {
  std::int64_t free_gpus = 0;
  for (std::int64_t f : free_by_model) free_gpus += f;
  replan_at_ = kNever;
  if (queued.empty()) return;
  // Nodes on their way are capacity that comes free when they arrive.
  std::vector<std::int64_t> coming_by_model(fleet_.gpu_models().size(), 0);
  for (const SiteState& s : sites_) {
    if (s.provisioning == 0) continue;
    for (NodeId n : s.nodes) {
      const Node& node = NodeOf(n);
      if (node.state != State::kProvisioning) continue;
      running.push_back({node.ready_at, fleet_.NodeGpus(n)});
      const auto m = static_cast<size_t>(fleet_.NodeModel(n));
      if (m < coming_by_model.size()) coming_by_model[m] += fleet_.NodeGpus(n);
    }
  }
  const QueueForecast forecast = ForecastStarts(free_gpus, std::move(running), queued, now);
  // GPUs free now that no queued job is forecast to start on: they cover what a job of their
  // model lacks first. Stalled, every free GPU is such: nothing started on them. Never more than
  // are free (the forecast frees runs past their estimates at once). By model: the forecast's
  // spare taken from each model's free GPUs in the order of the models.
  std::int64_t spare = stalled ? free_gpus : std::min(forecast.spare_now, free_gpus);  // to share
  std::vector<std::int64_t> spare_by_model(free_by_model.size(), 0);
  for (size_t m = 0; m < free_by_model.size(); ++m) {
    spare_by_model[m] = std::min(free_by_model[m], spare);
    spare -= spare_by_model[m];
  }
  // What each queued job still lacks (-1: not counted yet), shared by the sites.
  std::vector<std::int64_t> lacking(queued.size(), -1);
  for (SiteState& s : sites_) {
    if (OutageEnd(s.site, now)) continue;  // nothing is provisioned in an outage
    if (s.released_idle_at == stamp) continue;
    std::vector<size_t> counted;
    std::int64_t wanted = 0;
    for (size_t k = 0; k < queued.size(); ++k) {
      if (lacking[k] == 0 || !Fits(s, queued[k])) continue;
      // Its whole wait: what it waited already and what the forecast gives it.
      const SimTime crosses = queued[k].waiting_since + s.rent.rent_when_wait_exceeds;
      const SimTime start = forecast.starts[k];
      if (!stalled && start <= crosses) {
        if (crosses >= now) replan_at_ = std::min(replan_at_, crosses + 1);
        continue;
      }
      // Forecast to start later: a node asked for now must serve before then, or it does not
      // help. Forecast to start now, yet waiting: something the forecast does not count keeps it
      // (topology, power); it is asked for while nothing is on its way to the site (else every
      // plan would ask again for what is coming).
      if (!stalled && start > now && start <= now + s.rent.provisioning) continue;
      if (!stalled && start == now && s.provisioning > 0) {
        lacking[k] = 0;  // what is on its way is for it: no other site is asked either
        continue;
      }
      if (lacking[k] < 0) lacking[k] = queued[k].gpus - TakeSpare(queued[k], spare_by_model);
      if (lacking[k] == 0) continue;
      wanted += lacking[k];
      counted.push_back(k);
    }
    // Never more than the queue could use beyond what is on its way: for each of the site's GPU
    // models, the queued jobs' GPUs that need it less those of it on their way (asked by earlier
    // plans, or for other sites in this one); then the jobs of any model less what is on its way
    // beyond the jobs of its own model, of every model. A job asked for by one plan can be
    // forecast behind another in the next (a failure requeues a job ahead of it, or takes free
    // GPUs it was counted on) and lack its GPUs again; without this the nodes on their way for it
    // were asked for twice.
    wanted = std::min(wanted, Ceiling(s, queued, coming_by_model));
    std::int64_t asked = 0;
    for (NodeId n : s.nodes) {
      if (asked >= wanted) break;
      Node& node = NodeOf(n);
      if (node.state != State::kAbsent || down(n)) continue;
      node.state = State::kProvisioning;
      node.since = now;
      node.ready_at = now + s.rent.provisioning;
      arrivals_.push({node.ready_at, n});
      ++provisioning_;
      ++s.provisioning;
      ++s.stats.asked;
      asked += fleet_.NodeGpus(n);
      const auto m = static_cast<size_t>(fleet_.NodeModel(n));
      if (m < coming_by_model.size()) coming_by_model[m] += fleet_.NodeGpus(n);
    }
    // The GPUs asked for cover the jobs counted here, in queue order.
    for (size_t k : counted) {
      const std::int64_t take = std::min(asked, lacking[k]);
      lacking[k] -= take;
      asked -= take;
    }
  }
}

std::vector<NodeId> ElasticPool::Arrivals(SimTime now) {
  std::vector<NodeId> arrived;
  while (!arrivals_.empty() && arrivals_.top().first <= now) {
    const NodeId n = arrivals_.top().second;
    arrivals_.pop();
    Node& node = NodeOf(n);
    if (node.state != State::kProvisioning || node.ready_at > now) continue;  // deferred
    if (const std::optional<SimTime> back =
            OutageEnd(sites_[static_cast<size_t>(node.site)].site, now)) {
      node.ready_at = *back;  // it serves once its site is back
      arrivals_.push({*back, n});
      continue;
    }
    Arrive(n, now);
    arrived.push_back(n);
  }
  return arrived;
}

std::vector<NodeId> ElasticPool::ReleaseIdle(SimTime now, std::uint64_t stamp) {
  std::vector<NodeId> released;
  while (!releases_.empty() && releases_.top().first <= now) {
    const NodeId n = releases_.top().second;
    releases_.pop();
    if (ReleaseAt(n) > now) continue;
    Release(n, now);
    sites_[static_cast<size_t>(NodeOf(n).site)].released_idle_at = stamp;
    released.push_back(n);
  }
  return released;
}

SimTime ElasticPool::ReleaseAt(NodeId n) const {
  const Node& node = NodeOf(n);
  if (node.state != State::kHeld || node.busy_gpus > 0 || node.idle_since == kNever) return kNever;
  return node.idle_since + sites_[static_cast<size_t>(node.site)].rent.release_after_idle;
}

void ElasticPool::ArmRelease(NodeId n, SimTime now) {
  Node& node = NodeOf(n);
  node.idle_since = now;
  releases_.push({ReleaseAt(n), n});
}

SimTime ElasticPool::next_wake() {
  // Entries for a node that has changed since (busy again, arrived, deferred) are dropped.
  while (!arrivals_.empty()) {
    const auto [t, n] = arrivals_.top();
    const Node& node = NodeOf(n);
    if (node.state == State::kProvisioning && node.ready_at == t) break;
    arrivals_.pop();
  }
  while (!releases_.empty()) {
    const auto [t, n] = releases_.top();
    if (ReleaseAt(n) == t) break;
    releases_.pop();
  }
  SimTime next = kNever;
  if (!arrivals_.empty()) next = arrivals_.top().first;
  if (!releases_.empty()) next = std::min(next, releases_.top().first);
  return next;
}

void ElasticPool::Arrive(NodeId n, SimTime now) {
  Node& node = NodeOf(n);
  SiteState& s = sites_[static_cast<size_t>(node.site)];
  node.state = State::kHeld;
  node.since = now;
  node.busy_gpus = 0;
  ArmRelease(n, now);
  --provisioning_;
  --s.provisioning;
  ++s.stats.acquired;
  s.stats.peak_nodes = std::max(s.stats.peak_nodes, ++s.held);
}

void ElasticPool::Release(NodeId n, SimTime now) {
  Node& node = NodeOf(n);
  SiteState& s = sites_[static_cast<size_t>(node.site)];
  const SimTime held = now - node.since;
  s.stats.held_node_ms += held;
  s.stats.held_gpu_ms += static_cast<long double>(held) * fleet_.NodeGpus(n);
  ++s.stats.released;
  --s.held;
  node.state = State::kAbsent;
}

bool ElasticPool::Lose(NodeId n, SimTime now) {
  if (!IsElastic(n) || NodeOf(n).state != State::kHeld) return false;
  NodeOf(n).busy_gpus = 0;
  Release(n, now);
  return true;
}

void ElasticPool::CountHeld(NodeId n, int delta, SimTime now) {
  if (!IsElastic(n)) return;
  Node& node = NodeOf(n);
  node.busy_gpus += delta;
  if (node.busy_gpus > 0) {
    node.idle_since = kNever;
  } else if (node.idle_since == kNever) {
    ArmRelease(n, now);
  }
}

std::vector<SimResult::ElasticSite> ElasticPool::Finish(SimTime end) const {
  std::vector<SimResult::ElasticSite> out;
  for (const SiteState& s : sites_) {
    SimResult::ElasticSite stats = s.stats;
    for (NodeId n : s.nodes) {
      const Node& node = NodeOf(n);
      if (node.state != State::kHeld) continue;
      stats.held_node_ms += end - node.since;
      stats.held_gpu_ms += static_cast<long double>(end - node.since) * fleet_.NodeGpus(n);
    }
    out.push_back(stats);
  }
  // In the fleet's order of sites, for the report.
  std::sort(out.begin(), out.end(),
            [](const SimResult::ElasticSite& a, const SimResult::ElasticSite& b) {
              return a.site < b.site;
            });
  return out;
}

}  // namespace gpufleet
