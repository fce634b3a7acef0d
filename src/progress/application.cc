#include "progress/application.h"

#include <algorithm>
#include <cmath>

namespace gpufleet {
namespace {

// The validated batch sizes at or below and at or above B (the same one when B is validated).
struct Bracket {
  const ValidationCurve* lower = nullptr;
  const ValidationCurve* upper = nullptr;
};

Result<Bracket> BracketBatch(const Application& app, int batch_size) {
  Bracket b;
  for (const ValidationCurve& v : app.validation) {
    if (v.batch_size <= batch_size) b.lower = &v;
    if (v.batch_size >= batch_size) {
      b.upper = &v;
      break;
    }
  }
  if (b.lower == nullptr || b.upper == nullptr) {
    return Error{app.name + ": batch size " + std::to_string(batch_size) +
                 " is outside the validated range " + std::to_string(app.init_batch_size) + " to " +
                 std::to_string(app.max_batch_size)};
  }
  return b;
}

// Linear interpolation in batch size, in the artifact's order of operations (results are
// compared to the second, so the rounding of every operation matters).
double InterpolateInBatch(int batch_size, const Bracket& b, double lower_value,
                          double upper_value) {
  if (b.lower == b.upper) return lower_value;
  const int lo = b.lower->batch_size, hi = b.upper->batch_size;
  return (static_cast<double>(batch_size - lo) * upper_value +
          static_cast<double>(hi - batch_size) * lower_value) /
         static_cast<double>(hi - lo);
}

// The bracketing curves of B and the row of `epoch` in both.
struct EpochBracket {
  Bracket bracket;
  size_t row = 0;
};

Result<EpochBracket> LocateEpoch(const Application& app, int batch_size, int epoch) {
  Result<Bracket> b = BracketBatch(app, batch_size);
  if (!b.ok()) return b.error();
  for (const ValidationCurve* v : {b.value().lower, b.value().upper}) {
    if (epoch < 0 || static_cast<size_t>(epoch) >= v->grad_sqr.size()) {
      return Error{app.name + ": no statistics for epoch " + std::to_string(epoch) +
                   " in validation-" + std::to_string(v->batch_size) + ".csv"};
    }
  }
  return EpochBracket{b.value(), static_cast<size_t>(epoch)};
}

// scipy's interp1d (linear): the segment is found by a left binary search clipped to the
// interior, and the value is slope·(x − x_lo) + y_lo even at a knot.
Result<ProfileStepTime> InterpolateProfile(const Application& app, std::int64_t code,
                                           const std::vector<ProfilePoint>& points, int local_bsz) {
  if (points.empty() || local_bsz < points.front().local_bsz ||
      local_bsz > points.back().local_bsz) {
    return Error{app.name + ": placement " + std::to_string(code) +
                 " is profiled for local batch " +
                 (points.empty() ? std::string("(none)")
                                 : std::to_string(points.front().local_bsz) + " to " +
                                       std::to_string(points.back().local_bsz)) +
                 ", not " + std::to_string(local_bsz)};
  }
  if (points.size() == 1) return points.front().time;
  auto it = std::lower_bound(points.begin(), points.end(), local_bsz,
                             [](const ProfilePoint& p, int x) { return p.local_bsz < x; });
  size_t hi = static_cast<size_t>(it - points.begin());
  hi = std::clamp<size_t>(hi, 1, points.size() - 1);
  const ProfilePoint& a = points[hi - 1];
  const ProfilePoint& b = points[hi];
  const double dx = static_cast<double>(b.local_bsz - a.local_bsz);
  const double x = static_cast<double>(local_bsz - a.local_bsz);
  return ProfileStepTime{(b.time.step - a.time.step) / dx * x + a.time.step,
                         (b.time.sync - a.time.sync) / dx * x + a.time.sync};
}

}  // namespace

void Application::ComputeEpochBoundaries() {
  epoch_progress.assign(static_cast<size_t>(max_epochs) + 1, 0.0);
  for (int e = 1; e <= max_epochs; ++e) {
    double p = 0;
    bool first = true;
    for (const ValidationCurve& v : validation) {
      const double x = v.progress[static_cast<size_t>(e - 1)];
      if (first || x < p) p = x;
      first = false;
    }
    epoch_progress[static_cast<size_t>(e)] = p;
  }
}

BatchConfig ConfigureBatch(const Application& app, int replicas, int batch_size,
                           SingleGpuAccumulation rule) {
  // The artifact computes these ceilings in floating point with a 1e-8 guard; so do we.
  const double local = std::ceil(static_cast<double>(batch_size) / replicas - 1e-8);
  int accum = static_cast<int>(std::ceil(local / app.max_local_bsz - 1e-8)) - 1;
  if (replicas == 1 &&
      (rule == SingleGpuAccumulation::kAlways || batch_size > app.init_batch_size)) {
    accum = std::max(accum, 1);
  }
  int atomic = static_cast<int>(std::ceil(local / (accum + 1) - 1e-8));
  const int count = replicas * (accum + 1);
  atomic = std::min(atomic, static_cast<int>(static_cast<double>(app.max_batch_size) / count));
  return BatchConfig{replicas, atomic, accum};
}

std::int64_t CanonicalPlacementCode(const GpusPerNode& placement) {
  std::vector<int> p;
  for (int g : placement) {
    if (g > 0) p.push_back(g);
  }
  std::vector<int> best = p, rotated(p.size());
  for (size_t shift = 1; shift < p.size(); ++shift) {
    std::rotate_copy(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(shift), p.end(),
                     rotated.begin());
    if (rotated < best) best = rotated;
  }
  std::int64_t code = 0;
  for (int g : best) {
    for (int d = g; d > 0; d /= 10) code *= 10;
    code += g;
  }
  return code;
}

Result<ProfileStepTime> LookupStepTime(const Application& app, const GpusPerNode& placement,
                                       int atomic_bsz) {
  const std::int64_t code = CanonicalPlacementCode(placement);
  if (auto it = app.placements.find(code); it != app.placements.end()) {
    return InterpolateProfile(app, code, it->second, atomic_bsz);
  }
  int nodes = 0, replicas = 0;
  for (int g : placement) {
    nodes += g > 0 ? 1 : 0;
    replicas += g;
  }
  // The profiles stop at 16 nodes; the artifact clamps the node count there.
  const SpreadKey key{std::min(nodes, 16), replicas, atomic_bsz};
  if (auto it = app.spread.find(key); it != app.spread.end()) return it->second;
  return Error{app.name + ": no step time for placement " + std::to_string(code) +
               " at local batch " + std::to_string(atomic_bsz) +
               ": it is not profiled and the spread table has no row num_nodes=" +
               std::to_string(std::get<0>(key)) + ", num_replicas=" + std::to_string(replicas) +
               ", local_bsz=" + std::to_string(atomic_bsz)};
}

Result<double> StatisticalGain(const Application& app, int batch_size, int epoch) {
  Result<EpochBracket> at = LocateEpoch(app, batch_size, epoch);
  if (!at.ok()) return at.error();
  const Bracket& b = at.value().bracket;
  const size_t e = at.value().row;
  const double sqr = InterpolateInBatch(batch_size, b, b.lower->grad_sqr[e], b.upper->grad_sqr[e]);
  const double var = InterpolateInBatch(batch_size, b, b.lower->grad_var[e], b.upper->grad_var[e]);
  const double scale = static_cast<double>(batch_size) / app.init_batch_size;
  return (var + sqr) / (var / scale + sqr);
}

Result<double> IterationsAfter(const Application& app, int batch_size, int epoch) {
  Result<EpochBracket> at = LocateEpoch(app, batch_size, epoch);
  if (!at.ok()) return at.error();
  const Bracket& b = at.value().bracket;
  const size_t e = at.value().row;
  return InterpolateInBatch(batch_size, b, b.lower->iteration[e], b.upper->iteration[e]);
}

GpusPerNode PackedPlacement(int gpus, int gpus_per_node) {
  GpusPerNode p;
  for (int left = gpus; left > 0; left -= gpus_per_node) p.push_back(std::min(left, gpus_per_node));
  return p;
}

}  // namespace gpufleet
