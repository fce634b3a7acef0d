#include "sim/failure_process.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "physics/failure_rates.h"
#include "sim/job_run.h"

namespace gpufleet {

FailureProcess::FailureProcess(const Fleet& fleet, std::vector<BoundFailure> scripted,
                               std::optional<FailureModelSpec> model, std::uint64_t seed,
                               bool random)
    : fleet_(fleet),
      failures_(std::move(scripted)),
      model_(std::move(model)),
      down_count_(static_cast<size_t>(fleet.num_nodes()), 0) {
  if (!random) return;
  for (size_t site = 0; site < fleet.sites().size(); ++site) {
    const Site& s = fleet.sites()[site];
    const Provider& provider = fleet.providers()[static_cast<size_t>(s.provider)];
    if (s.pricing != Pricing::kSpot || !provider.spot || provider.spot->reclaims_per_node_day <= 0)
      continue;
    const auto [first, last] = fleet.NodeRange(s.topo);
    if (last <= first) continue;
    reclaims_per_node_day_.resize(fleet.sites().size(), 0);
    reclaims_per_node_day_[site] = provider.spot->reclaims_per_node_day;
    // Streams of their own, by site, apart from the failure model's.
    constexpr std::uint64_t kSpotStream = 0x5B07'0000;
    spot_.push_back({first, last - first,
                     provider.spot->reclaims_per_node_day * (last - first) / kDay,
                     provider.spot->notice, provider.spot->back_after,
                     Rng(Rng::Stream(seed, kSpotStream + site).Next())});
  }
  if (!model_) return;
  for (int c = 0; c < kRandomFailureCategories; ++c) {
    const double rate = model_->per_node_day[static_cast<size_t>(c)];
    const bool per_gpu = ComesWithGpus(static_cast<FailureCategory>(c));
    (per_gpu ? gpu_failures_per_day_ : node_failures_per_day_) +=
        per_gpu ? rate / kCalibrationGpusPerNode : rate;
    category_weight_.push_back(per_gpu ? rate / kCalibrationGpusPerNode *
                                             static_cast<double>(fleet.total_gpus())
                                       : rate * fleet.num_nodes());
  }
  double per_day = 0;
  for (double w : category_weight_) per_day += w;
  rate_per_ms_ = per_day / static_cast<double>(kDay);
  std::int64_t gpus = 0;
  for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
    gpus_before_.push_back(gpus);
    gpus += fleet.NodeGpus(n);
  }
  rng_ = Rng(seed);
}

// Exponential gaps at the fleet's total rate, a category by its share of the rate, then a node
// uniformly - or, for GPU-borne categories, the node of a GPU drawn uniformly (a network failure
// takes the node's leaf down).
std::optional<std::int32_t> FailureProcess::Draw(SimTime after) {
  if (rate_per_ms_ <= 0) return std::nullopt;
  const double gap = rng_.Exponential(1 / rate_per_ms_);
  // A failure past the latest time anything is simulated never happens: with a rate so low that
  // the gap leaves the range of SimTime, converting it would be undefined (and was a failure
  // every millisecond). No later failure is drawn either, as each is drawn after the previous.
  if (!(std::ceil(gap) < static_cast<double>(kLatestTime - after))) return std::nullopt;
  const SimTime at = after + std::max<SimTime>(1, static_cast<SimTime>(std::ceil(gap)));
  double pick = rng_.Uniform() * rate_per_ms_ * static_cast<double>(kDay);
  int category = 0;
  while (category + 1 < kRandomFailureCategories &&
         pick >= category_weight_[static_cast<size_t>(category)]) {
    pick -= category_weight_[static_cast<size_t>(category)];
    ++category;
  }
  const auto c = static_cast<FailureCategory>(category);
  NodeId node = 0;
  if (ComesWithGpus(c)) {
    const auto gpu =
        static_cast<std::int64_t>(rng_.Below(static_cast<std::uint64_t>(fleet_.total_gpus())));
    node = static_cast<NodeId>(std::upper_bound(gpus_before_.begin(), gpus_before_.end(), gpu) -
                               gpus_before_.begin() - 1);
  } else {
    node = static_cast<NodeId>(rng_.Below(static_cast<std::uint64_t>(fleet_.num_nodes())));
  }
  BoundFailure f;
  f.at = at;
  f.category = c;
  f.drawn = true;
  f.target = ScopeOf(c) == FailureScope::kLeaf ? fleet_.Ancestor(node, Level::kLeaf)
                                               : fleet_.NodeTopo(node);
  if (ScopeOf(c) != FailureScope::kJobsOnly) {
    // Clamped before the conversion, as every sampled duration: a lognormal without a `max` may
    // draw beyond any time (or NaN), and a repair never ends before it starts.
    // It ends by kLatestTime at the latest, the last time the scheduler accepts.
    const double repair = model_->repair_ms[static_cast<size_t>(category)].Sample(rng_);
    const SimTime longest = std::max<SimTime>(1, kLatestTime - at);
    f.repair_after = !(repair >= 1)                          ? 1  // also NaN
                     : repair < static_cast<double>(longest) ? static_cast<SimTime>(repair)
                                                             : longest;
  }
  return Slot(f);
}

// Slots of drawn failures that are over (repaired, or nothing to repair) are reused, so a long run
// keeps only the failures in progress.
std::int32_t FailureProcess::Slot(const BoundFailure& f) {
  std::int32_t slot = 0;
  if (!free_failure_slots_.empty()) {
    slot = free_failure_slots_.back();
    free_failure_slots_.pop_back();
    failures_[static_cast<size_t>(slot)] = f;
  } else {
    slot = size();
    failures_.push_back(f);
  }
  return slot;
}

std::optional<std::int32_t> FailureProcess::DrawReclaim(std::int32_t k, SimTime after) {
  SpotStream& stream = spot_[static_cast<size_t>(k)];
  const double gap = stream.rng.Exponential(1 / stream.rate_per_ms);
  // As Draw: a reclaim past the latest simulated time never happens, nor any after it.
  if (!(std::ceil(gap) < static_cast<double>(kLatestTime - after))) return std::nullopt;
  BoundFailure f;
  f.at = after + std::max<SimTime>(1, static_cast<SimTime>(std::ceil(gap)));
  f.category = FailureCategory::kSpot;
  f.drawn = true;
  f.spot = k;
  f.target = fleet_.NodeTopo(stream.first + static_cast<NodeId>(stream.rng.Below(
                                                static_cast<std::uint64_t>(stream.nodes))));
  f.repair_after = std::min(stream.back_after, std::max<SimTime>(1, kLatestTime - f.at));
  return Slot(f);
}

BoundFailure FailureProcess::Strike(std::int32_t index) {
  const BoundFailure f = failure(index);
  // An outage strikes each of its sites at once: one event.
  const bool counted = f.outage >= 0 && std::cmp_less(f.outage, outages_struck_.size()) &&
                       outages_struck_[static_cast<size_t>(f.outage)];
  if (f.outage >= 0) {
    if (std::cmp_greater_equal(f.outage, outages_struck_.size()))
      outages_struck_.resize(static_cast<size_t>(f.outage) + 1, 0);
    outages_struck_[static_cast<size_t>(f.outage)] = 1;
  }
  if (!counted) ++stats_[static_cast<size_t>(f.category)].events;
  if (f.drawn && !f.repair_after) free_failure_slots_.push_back(index);
  return f;
}

void FailureProcess::Repaired(std::int32_t index) {
  if (failure(index).drawn) free_failure_slots_.push_back(index);
}

bool FailureProcess::TakeDown(NodeId n) {
  if (down_count_[static_cast<size_t>(n)]++ > 0) return false;
  ++node_failures_;
  return true;
}

bool FailureProcess::BringUp(NodeId n) {
  if (--down_count_[static_cast<size_t>(n)] != 0) return false;
  ++node_repairs_;
  return true;
}

SimTime FailureProcess::Interrupt(JobRecord& r, FailureCategory category, bool planned,
                                  SimTime now) {
  Settle(r, now);
  const SimTime done = r.progress;
  // Work since the last checkpoint is lost. `progress` at the start of the run is what the job
  // resumed from (saved at a preemption or kept from an earlier interruption), so it is never
  // lost; without checkpoints the run since then is. A planned stop checkpoints first.
  const SimTime every = r.checkpoint_every;
  const SimTime kept =
      planned ? done : std::max(r.run_progress, every > 0 ? done / every * every : 0);
  r.lost_ms += done - kept;
  SimResult::FailureStats& stats = stats_[static_cast<size_t>(category)];
  stats.lost_gpu_ms +=
      static_cast<long double>(done - kept) * r.spec.gpus * r.spec.gpu_milli / kMilliPerGpu;
  ++stats.interruptions;
  r.progress = kept;
  ++r.interruptions;
  r.overhead_left = RestartOverhead(r.spec);
  return done - kept;
}

SimTime FailureProcess::RestartOverhead(const JobSpec& spec) const {
  if (spec.restart_overhead >= 0) return spec.restart_overhead;
  return model_ ? model_->restart_overhead : 0;
}

double FailureProcess::JobFailuresPerDay(std::size_t nodes, int gpus, int site) const {
  const double reclaims = static_cast<size_t>(site) < reclaims_per_node_day_.size()
                              ? reclaims_per_node_day_[static_cast<size_t>(site)]
                              : 0;
  return (node_failures_per_day_ + reclaims) * static_cast<double>(nodes) +
         gpu_failures_per_day_ * gpus;
}

void FailureProcess::WriteTo(SimResult& result) const {
  result.failures = stats_;
  result.node_failures = node_failures_;
  result.node_repairs = node_repairs_;
}

}  // namespace gpufleet
