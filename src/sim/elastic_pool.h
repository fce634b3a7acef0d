// Elastic renting (docs/MODELS.md, "Elastic renting"): the nodes of the fleet's elastic sites are
// rented on demand as the queue needs them. None is held at the start. After a scheduling pass the
// pool forecasts when each queued job would start; where a job's forecast wait exceeds an elastic
// site's threshold, the site is asked for nodes (cheapest site first), which serve - and are
// billed - once their provisioning is over. A held node idle for the site's release time is given
// back. The simulator brings arrived nodes up and takes released ones down; the pool keeps their
// states, the bill and its counts.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <utility>
#include <vector>

#include "model/fleet.h"
#include "sim/sim_result.h"
#include "util/time.h"
#include "workload/workload.h"

namespace gpufleet {

// What the forecast knows of a running job: when its GPUs come back (its estimate) and how many.
struct RunningLoad {
  SimTime ends = 0;
  std::int32_t gpus = 0;
};
// A queued job: its GPUs, GPU model (kAnyModel: any), run-time estimate, and since when it waits
// (its submission, before its first start; its forecast wait counts from there).
struct QueuedLoad {
  std::int32_t gpus = 0;
  ModelId model = kAnyModel;
  SimTime estimate = 0;
  SimTime waiting_since = 0;
};

// When each queued job would start (kNever: not on the capacity given): `free_gpus` now, and the
// GPUs of the running jobs at their estimated ends; the queued jobs take GPUs in queue order as
// they come free and give them back after their estimates (list scheduling on GPU counts: the
// topology, GPU models, power and the policy's order are left out - a forecast, not a schedule).
// `spare_now`: the GPUs free now that no queued job is forecast to start on.
struct QueueForecast {
  std::vector<SimTime> starts;
  std::int64_t spare_now = 0;
};
QueueForecast ForecastStarts(std::int64_t free_gpus, std::vector<RunningLoad> running,
                             const std::vector<QueuedLoad>& queued, SimTime now);

class ElasticPool {
 public:
  ElasticPool(const Fleet& fleet, std::vector<BoundOutage> outages);
  bool any() const { return !sites_.empty(); }
  // An elastic node not held (asked for or not): absent from the fleet, no failure strikes it.
  bool Absent(NodeId n) const;
  // Nodes asked for that do not serve yet: the run goes on while any is on its way.
  std::int32_t provisioning() const { return provisioning_; }
  // The elastic nodes, each absent at the start.
  const std::vector<NodeId>& nodes() const { return nodes_; }

  // After a scheduling pass at `now`: asks for nodes for the queued jobs whose whole wait (from
  // `waiting_since` to their forecast start) exceeds a site's threshold and that a node asked for
  // now would serve before their forecast start - what they lack beyond the GPUs free now that no
  // job is forecast to start on (of its GPU model), cheapest site first, each job's lack asked for
  // once - and never, at a site, more than the queued jobs it could run hold beyond the GPUs of
  // its models on their way (a job forecast behind another in a later plan is not asked for
  // twice). `free_by_model`: free GPUs of the nodes up now, by GPU model. `stalled`: nothing runs
  // and no node is on its way, so that no forecast can tell when the queue moves: every queued job
  // is counted, and every free GPU spare. `stamp` changes whenever a job arrives, starts or stops
  // or a failure or repair changes the fleet: a site that gave nodes back idle is not asked again
  // before it changes (the nodes did not help; asking again would rent and release them for ever).
  // `down(n)`: a failure holds node n down (it is not asked for).
  void Plan(SimTime now, std::uint64_t stamp, const std::vector<std::int64_t>& free_by_model,
            std::vector<RunningLoad> running, const std::vector<QueuedLoad>& queued, bool stalled,
            const std::function<bool(NodeId)>& down);
  // In the events of instant `now`: the nodes whose provisioning ends by then, held from now (one
  // whose site is in an outage waits for its end). The simulator brings them up.
  std::vector<NodeId> Arrivals(SimTime now);
  // After the scheduling pass of `now`: the held nodes idle through it for their site's release
  // time, given back now. The simulator takes them down. (A held node is never down: a failure
  // that takes one down gives it back, Lose.)
  std::vector<NodeId> ReleaseIdle(SimTime now, std::uint64_t stamp);
  // When the last plan's queue, unchanged, would next have a job wait past a threshold: a job that
  // waits for what the forecast does not count (topology, power) is asked for then. kNever: none.
  SimTime replan_at() const { return replan_at_; }
  // The next time Arrivals or ReleaseIdle has something to do (kNever: none).
  SimTime next_wake();
  // A failure took held node n down: it is given back at once (billing stops; a later plan may
  // rent it again once it is repaired). False for any other node.
  bool Lose(NodeId n, SimTime now);
  // GPUs taken (`delta` > 0) or let go on an elastic node at `now` (the simulator's holdings).
  void CountHeld(NodeId n, int delta, SimTime now);
  // The sites' accounts, the nodes still held billed until `end`.
  std::vector<SimResult::ElasticSite> Finish(SimTime end) const;

 private:
  enum class State : std::uint8_t { kAbsent, kProvisioning, kHeld };
  struct Node {
    State state = State::kAbsent;
    std::int32_t site = -1;  // index into sites_
    std::int32_t busy_gpus = 0;
    SimTime since = 0;       // provisioning: asked at; held: arrived at
    SimTime ready_at = 0;    // provisioning: when it serves
    SimTime idle_since = 0;  // held and idle: since when (kNever: busy)
  };
  struct SiteState {
    int site = -1;  // fleet index
    ElasticRent rent;
    double marginal_usd = 0;   // a GPU-hour's price there: the cheapest site is asked first
    std::uint64_t models = 0;  // GPU models of its nodes, a bit each
    std::vector<NodeId> nodes;
    std::int32_t held = 0;
    std::int32_t provisioning = 0;                  // nodes on their way
    std::optional<std::uint64_t> released_idle_at;  // the stamp when it last gave nodes back
    SimResult::ElasticSite stats;
  };
  Node& NodeOf(NodeId n) { return nodes_state_[static_cast<size_t>(n - first_node_)]; }
  const Node& NodeOf(NodeId n) const { return nodes_state_[static_cast<size_t>(n - first_node_)]; }
  bool IsElastic(NodeId n) const;
  // When the outage holding site `fleet_site` down at `t` ends (nullopt: none does).
  std::optional<SimTime> OutageEnd(int fleet_site, SimTime t) const;
  bool Fits(const SiteState& s, const QueuedLoad& q) const;
  // The most GPUs site s may be asked for in a plan: what the queued jobs need of its models
  // beyond the GPUs on their way (`coming_by_model`), and the jobs of any model what is on its
  // way beyond what the queue's jobs of each model need.
  std::int64_t Ceiling(const SiteState& s, const std::vector<QueuedLoad>& queued,
                       const std::vector<std::int64_t>& coming_by_model) const;
  // Takes from `spare` (by GPU model) what job q can use, up to its GPUs; returns how many.
  static std::int64_t TakeSpare(const QueuedLoad& q, std::vector<std::int64_t>& spare);
  // When held node n goes back if it stays idle (kNever: busy, or not held).
  SimTime ReleaseAt(NodeId n) const;
  // Node n, held, is idle from `now`: its release is due ReleaseAt(n).
  void ArmRelease(NodeId n, SimTime now);
  void Arrive(NodeId n, SimTime now);
  void Release(NodeId n, SimTime now);

  const Fleet& fleet_;
  std::vector<BoundOutage> outages_;
  std::vector<SiteState> sites_;  // cheapest first
  std::vector<NodeId> nodes_;
  NodeId first_node_ = 0;
  std::vector<Node> nodes_state_;  // from first_node_ to the last elastic node
  std::int32_t provisioning_ = 0;
  SimTime replan_at_ = kNever;
  // When nodes serve, and when held nodes have been idle long enough, with the node; entries for
  // a node that changed since are skipped.
  using TimedNodes = std::priority_queue<std::pair<SimTime, NodeId>,
                                         std::vector<std::pair<SimTime, NodeId>>, std::greater<>>;
  TimedNodes arrivals_, releases_;
};

}  // namespace gpufleet
