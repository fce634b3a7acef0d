// Workload generators and binding a workload spec to a fleet.
#include <algorithm>
#include <bit>
#include <cmath>

#include "util/rng.h"
#include "workload/job_source.h"
#include "workload/workload.h"

namespace gpufleet {
namespace {

constexpr std::int64_t kMaxDuration = 100 * 365 * kDay;
constexpr std::int64_t kHorizon = 10'000 * 365 * kDay;  // generators stop after 10,000 years

std::int64_t Clamped(double v, std::int64_t lo, std::int64_t hi) {
  if (!(v >= static_cast<double>(lo))) return lo;  // also NaN
  if (v >= static_cast<double>(hi)) return hi;
  return std::llround(v);
}

class GeneratorSource : public JobSource {
 public:
  GeneratorSource(GeneratorSpec spec, std::vector<ModelId> models, std::uint64_t seed)
      : spec_(std::move(spec)), models_(std::move(models)), rng_(seed), now_(spec_.start) {}

  bool Next(JobSpec& out) override {
    if (spec_.count && produced_ >= *spec_.count) return false;
    // Draw order is fixed (arrival, size, duration, estimate, priority, tenant, model) so that a
    // seed always yields the same jobs.
    const double gap =
        spec_.poisson ? rng_.Exponential(spec_.mean_interarrival_ms) : spec_.mean_interarrival_ms;
    const SimTime step = produced_ == 0 && !spec_.poisson ? 0 : Clamped(gap, 0, kMaxDuration);
    // A generator ends at the horizon of simulated time, so that submission times never wrap.
    if (now_ > kHorizon - step) return false;
    const SimTime submit = now_ + step;
    if (spec_.until && submit > *spec_.until) return false;
    now_ = submit;
    out = JobSpec{};
    out.name = spec_.name + "-" + std::to_string(produced_ + 1);
    out.submit = submit;
    // Samples are clamped to what the model can represent: a lognormal without `max` may draw
    // absurd values, which must not overflow into nonsense.
    out.gpus = static_cast<std::int32_t>(Clamped(spec_.gpus.Sample(rng_), 1, kMaxJobGpus));
    out.duration = Clamped(spec_.duration_ms.Sample(rng_), 1, kMaxDuration);
    out.estimate = Clamped(static_cast<double>(out.duration) * spec_.estimate_factor.Sample(rng_),
                           1, kMaxDuration);
    out.priority = static_cast<std::int32_t>(
        Clamped(spec_.priority.Sample(rng_), -1'000'000'000, 1'000'000'000));
    out.tenant = static_cast<std::int32_t>(std::llround(spec_.tenant.Sample(rng_)));
    out.gpu_model = models_.empty()
                        ? kAnyModel
                        : models_[static_cast<size_t>(std::llround(spec_.gpu_model.Sample(rng_)))];
    out.topology = Topology::kAny;
    for (const TopologyRule& r : spec_.topology) {
      if (!r.up_to_gpus || out.gpus <= *r.up_to_gpus) {
        out.topology = r.topology;
        break;
      }
    }
    out.checkpoint_interval = spec_.checkpoint_interval;
    out.checkpoint_write = spec_.checkpoint_write;
    out.checkpoint_size_gb = spec_.checkpoint_size_gb;
    out.restart_overhead = spec_.restart_overhead;
    out.power_utilization = spec_.power_utilization;
    if (spec_.deadline_after) out.deadline = submit + *spec_.deadline_after;
    out.gpu_milli =
        static_cast<std::int32_t>(Clamped(spec_.gpu_milli.Sample(rng_), 1, kMilliPerGpu));
    out.cpu_milli = Clamped(spec_.cpus.Sample(rng_) * 1000, 0, kMaxJobCpuMilli);
    out.memory_mib = Clamped(spec_.memory_gb.Sample(rng_) * 1024, 0, kMaxJobMemoryMib);
    ++produced_;
    return true;
  }

 private:
  GeneratorSpec spec_;
  std::vector<ModelId> models_;
  Rng rng_;
  SimTime now_;
  std::int64_t produced_ = 0;
};

Result<ModelId> ResolveModel(const Fleet& fleet, const std::string& name, const SourceLoc& loc) {
  const ModelId m = fleet.FindModel(name);
  if (m == kAnyModel) {
    std::vector<std::string> have;
    for (const auto& g : fleet.gpu_models()) have.push_back(g.name);
    return Error{loc.Prefix() + "'" + name + "' is not in the fleet; it has: " + ListNames(have)};
  }
  return m;
}

// The sites an outage takes down: the named site, or every site of the named provider.
Result<BoundOutage> BindOutage(const OutageSpec& o, const Fleet& fleet) {
  BoundOutage out;
  out.at = o.at;
  out.duration = o.duration;
  std::vector<std::string> known;
  if (!o.site.empty()) {
    out.target = "site " + o.site;
    for (size_t s = 0; s < fleet.sites().size(); ++s) {
      if (fleet.sites()[s].name == o.site) out.sites.push_back(static_cast<int>(s));
      known.push_back(fleet.sites()[s].name);
    }
    if (out.sites.empty()) {
      return Error{o.target_loc.Prefix() + "'" + o.site +
                   "' names no site of the fleet; its sites: " + ListNames(known)};
    }
    return out;
  }
  out.target = "provider " + o.provider;
  std::optional<int> provider;
  for (size_t p = 0; p < fleet.providers().size(); ++p) {
    if (fleet.providers()[p].name == o.provider) provider = static_cast<int>(p);
    known.push_back(fleet.providers()[p].name);
  }
  if (!provider) {
    return Error{o.target_loc.Prefix() + "'" + o.provider +
                 "' names no provider of the fleet; its providers: " + ListNames(known)};
  }
  for (size_t s = 0; s < fleet.sites().size(); ++s) {
    if (fleet.sites()[s].provider == *provider) out.sites.push_back(static_cast<int>(s));
  }
  if (out.sites.empty()) {
    return Error{o.target_loc.Prefix() + "provider '" + o.provider + "' has no site to take down"};
  }
  return out;
}

}  // namespace

Result<BoundWorkload> BindWorkload(const WorkloadSpec& spec, const Fleet& fleet,
                                   std::uint64_t seed) {
  BoundWorkload w;
  w.tenants = spec.tenants;
  std::vector<std::unique_ptr<JobSource>> sources;
  std::vector<JobSpec> explicit_jobs;
  for (const ExplicitJobSpec& e : spec.jobs) {
    JobSpec j = e.job;
    std::uint64_t mask = 0;
    for (size_t i = 0; i < e.gpu_models.size(); ++i) {
      Result<ModelId> m = ResolveModel(fleet, e.gpu_models[i], e.gpu_model_locs[i]);
      if (!m.ok()) return m.error();
      mask |= ModelBit(m.value());
    }
    if (std::popcount(mask) == 1) {
      j.gpu_model = static_cast<ModelId>(std::countr_zero(mask));
    } else {
      j.allowed_models = mask;  // 0: any model
    }
    if (e.training) {
      j.training = static_cast<std::int32_t>(w.trainings.size());
      w.trainings.push_back(*e.training);
    }
    explicit_jobs.push_back(std::move(j));
  }
  sources.push_back(std::make_unique<VectorJobSource>(std::move(explicit_jobs)));
  for (size_t g = 0; g < spec.generators.size(); ++g) {
    const GeneratorSpec& gs = spec.generators[g];
    std::vector<ModelId> models;
    for (size_t i = 0; i < gs.gpu_models.size(); ++i) {
      Result<ModelId> m = ResolveModel(fleet, gs.gpu_models[i], gs.gpu_model_locs[i]);
      if (!m.ok()) return m.error();
      models.push_back(m.value());
    }
    // Each generator draws from its own stream, so adding one never changes another's jobs.
    const std::uint64_t s = gs.seed ? *gs.seed : Rng::Stream(seed, g).Next();
    sources.push_back(std::make_unique<GeneratorSource>(gs, std::move(models), s));
  }
  w.source = std::make_unique<MergedSource>(std::move(sources));
  auto target = [&](const std::string& path, const SourceLoc& loc) -> Result<TopoId> {
    std::optional<TopoId> t = fleet.FindPath(path);
    if (!t) {
      return Error{loc.Prefix() + "'" + path +
                   "' names no site, pod, leaf, domain or node of the fleet (paths look like '" +
                   fleet.Path(fleet.NodeTopo(0)) + "')"};
    }
    return *t;
  };
  for (const ScriptedFailure& f : spec.failures) {
    Result<TopoId> t = target(f.target, f.target_loc);
    if (!t.ok()) return t.error();
    w.failures.push_back({f.at, t.value(), f.repair_after, f.category, false, -1, -1});
  }
  for (const MaintenanceWindow& m : spec.maintenance) {
    Result<TopoId> t = target(m.target, m.target_loc);
    if (!t.ok()) return t.error();
    w.failures.push_back(
        {m.at, t.value(), m.duration, FailureCategory::kMaintenance, false, -1, -1});
  }
  for (const OutageSpec& o : spec.outages) {
    Result<BoundOutage> bound = BindOutage(o, fleet);
    if (!bound.ok()) return bound.error();
    const std::int32_t index = static_cast<std::int32_t>(w.outages.size());
    for (const int site : bound.value().sites) {
      const TopoId topo = fleet.sites()[static_cast<size_t>(site)].topo;
      w.failures.push_back({o.at, topo, o.duration, FailureCategory::kOutage, false, index, -1});
    }
    w.outages.push_back(std::move(bound).value());
  }
  for (const ServiceSpec& s : spec.services) {
    Result<ModelId> m = ResolveModel(fleet, s.gpu_model, s.gpu_model_loc);
    if (!m.ok()) return m.error();
  }
  w.failure_model = spec.failure_model;
  // A stream of its own: adding the failure model never changes the jobs. Spot reclaims draw
  // from it too (streams of their own), with or without a failure model.
  constexpr std::uint64_t kFailureStream = 0xFA11'0000;
  w.failure_seed = spec.failure_model && spec.failure_model->seed
                       ? *spec.failure_model->seed
                       : Rng::Stream(seed, kFailureStream).Next();
  std::stable_sort(w.failures.begin(), w.failures.end(),
                   [](const BoundFailure& a, const BoundFailure& b) { return a.at < b.at; });
  return w;
}

}  // namespace gpufleet
