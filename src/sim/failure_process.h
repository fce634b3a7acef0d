// The failure process: what breaks, when, and what it costs the jobs it hits.
//
// - The random failure model (docs/MODELS.md, "Failures"): a Poisson process over the fleet at the
//   sum of its categories' rates; each failure's category drawn by its share of that rate, its node
//   uniformly - per node for host-borne categories, per GPU for GPU-borne ones - and its repair
//   time from its category's distribution, all from one seeded stream. Only the next drawn failure
//   exists at a time, and drawn failures that are over give their slot back, so memory stays flat
//   however long a run goes.
// - The failures by index: the workload's scripted failures and maintenance, then drawn ones.
// - Which nodes are down: overlapping failures count per node, and a node comes back only when
//   the last one holding it is repaired.
// - What a failure does to a job it hits: the work since its last checkpoint is lost (none for a
//   planned stop, which checkpoints first), it owes the restart overhead, and the loss counts by
//   category.
//
// It knows no scheduler and no event queue: the event loop pushes the failures it draws, asks it
// node by node whether a failure or a repair changes a node's state, and tells the scheduler.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "model/failure.h"
#include "model/fleet.h"
#include "sim/sim_result.h"
#include "util/rng.h"
#include "workload/workload.h"

namespace gpufleet {

class FailureProcess {
 public:
  // `model` draws failures only when `random` (the twin's physics is on); its restart overhead is
  // the default of jobs that give none either way.
  FailureProcess(const Fleet& fleet, std::vector<BoundFailure> scripted,
                 std::optional<FailureModelSpec> model, std::uint64_t seed, bool random);

  std::int32_t size() const { return static_cast<std::int32_t>(failures_.size()); }
  const BoundFailure& failure(std::int32_t index) const {
    return failures_[static_cast<size_t>(index)];
  }

  // Draws the model's next failure after `after` into a free slot and returns the slot; nothing
  // without a model that draws.
  std::optional<std::int32_t> Draw(SimTime after);
  // Spot sites whose provider reclaims nodes (when random): one stream each, its own seeded
  // generator, so that spot capacity never changes the failure model's draws. DrawReclaim draws
  // stream k's next reclaim after `after` (a node of its site uniformly, a Poisson process at
  // the rate per node-day over the site's nodes, back after the provider's time) into a slot.
  std::int32_t reclaim_streams() const { return static_cast<std::int32_t>(spot_.size()); }
  std::optional<std::int32_t> DrawReclaim(std::int32_t k, SimTime after);
  // The notice a reclaim of stream k gives.
  SimTime ReclaimNotice(std::int32_t k) const { return spot_[static_cast<size_t>(k)].notice; }

  // A failure strikes: it counts by category (an outage once, however many sites it takes down).
  // Returned as a copy, as a drawn failure with nothing to repair is over once it strikes and the
  // next draw may take its slot.
  BoundFailure Strike(std::int32_t index);
  // A failure's repair is done: a drawn failure's slot is free again.
  void Repaired(std::int32_t index);

  // Whether a failure holds node `n` down.
  bool IsDown(NodeId n) const { return down_count_[static_cast<size_t>(n)] > 0; }
  // One more failure holds node `n` down: true when it just went down.
  bool TakeDown(NodeId n);
  // One failure holding node `n` is repaired: true when it just came back.
  bool BringUp(NodeId n);

  // A failure of `category` stops a running job at `now`: its work is credited up to then, the
  // work since its last checkpoint is lost (none when `planned`), and it owes the restart
  // overhead. Returns the work lost.
  SimTime Interrupt(JobRecord& r, FailureCategory category, bool planned, SimTime now);
  // Time from an interruption to training again: the job's, or the model's default.
  SimTime RestartOverhead(const JobSpec& spec) const;
  // Failures a job expects per day on `nodes` nodes and `gpus` GPUs: host-borne ones per node,
  // GPU-borne per GPU, and where its (first) site is spot, the reclaims per node.
  double JobFailuresPerDay(std::size_t nodes, int gpus, int site) const;

  // Writes the counts into a run's result.
  void WriteTo(SimResult& result) const;

 private:
  const Fleet& fleet_;
  std::vector<BoundFailure> failures_;
  std::optional<FailureModelSpec> model_;
  // The model's total rate (failures per ms over the fleet), each category's share of it (per
  // day), and per day host-borne failures per node and GPU-borne ones per GPU
  // (physics/failure_rates.h).
  double rate_per_ms_ = 0;
  std::vector<double> category_weight_;
  double node_failures_per_day_ = 0, gpu_failures_per_day_ = 0;
  std::vector<std::int64_t> gpus_before_;         // per node: GPUs of the nodes before it
  std::vector<std::int32_t> free_failure_slots_;  // in failures_, of drawn failures over
  struct SpotStream {
    NodeId first = 0, nodes = 0;  // the site's nodes
    double rate_per_ms = 0;
    SimTime notice = 0, back_after = 0;
    Rng rng{0};
  };
  std::vector<SpotStream> spot_;
  std::vector<double> reclaims_per_node_day_;  // by site (0: not spot)
  std::vector<char> outages_struck_;           // by BoundFailure::outage: counted once
  std::int32_t Slot(const BoundFailure& f);    // a free slot of failures_ holding f
  Rng rng_{0};
  std::vector<std::int32_t> down_count_;  // per node: overlapping failures holding it down
  std::array<SimResult::FailureStats, kFailureCategories> stats_{};
  std::int64_t node_failures_ = 0, node_repairs_ = 0;
};

}  // namespace gpufleet
