// Property tests on random fleets and workloads (rapidcheck). Each case builds a fleet of one or
// two sites with random tiers, random explicit jobs (sizes up to beyond the fleet, all topology
// constraints, priorities, under- and over-estimates, checkpoints) and random node or subtree
// failures with repairs, runs it under a random policy, and checks after every event that:
//   - no more GPUs are allocated than exist, and no GPU is held by two jobs;
//   - every gang is placed whole, on one GPU model, on healthy nodes, inside its constraint;
//   - the capacity index agrees with a recomputation from scratch;
// that no site ever draws more than its power budget (budgets from idle to beyond the full draw,
// with and without GPU power capping);
// and at the end that GPU-seconds are conserved and every submitted job is accounted for.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <sstream>
#include <tuple>

#include "physics/power.h"
#include "report/report.h"
#include "sim/simulator.h"
#include "spec/specs.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

struct RandomCase {
  std::string fleet_yaml;
  std::string workload_yaml;
  std::string policy;
  std::vector<double> budget_fraction;  // per site
};

// The fleet with each site's budget at idle + fraction x (full - idle) draw.
Result<Fleet> WithBudgets(const RandomCase& c) {
  auto substitute = [&](const std::vector<double>& mw) {
    std::string yaml = c.fleet_yaml;
    for (size_t i = 0; i < mw.size(); ++i) {
      const std::string key = "@budget" + std::to_string(i) + "@";
      std::ostringstream value;
      value.precision(17);
      value << mw[i];
      yaml.replace(yaml.find(key), key.size(), value.str());
    }
    return yaml;
  };
  Result<Fleet> probe = ParseFleet(substitute(std::vector<double>(c.budget_fraction.size(), 1e6)),
                                   "random-fleet.yaml");
  if (!probe.ok()) return probe;
  const Fleet& f = probe.value();
  const std::vector<double> idle = SiteIdlePowerW(f);
  std::vector<double> full = idle;
  const std::vector<NodePower> types = NodeTypePowers(f);
  for (NodeId n = 0; n < f.num_nodes(); ++n) {
    full[static_cast<size_t>(f.SiteOf(n))] +=
        f.NodeGpus(n) * types[static_cast<size_t>(f.NodeTypeOf(n))].per_busy_gpu_w;
  }
  std::vector<double> mw;
  for (size_t i = 0; i < idle.size(); ++i) {
    mw.push_back((idle[i] + c.budget_fraction[i] * (full[i] - idle[i])) / 1e6 * (1 + 1e-12));
  }
  return ParseFleet(substitute(mw), "random-fleet.yaml");
}

struct SiteShape {
  int pods, leaves, domains;
  std::string type;
};

std::string ModelOf(const std::string& node_type) {
  if (node_type == "gb200-nvl72") return "gb200";
  if (node_type == "dgx-h200") return "h200";
  return "h100";  // dgx-h100 and mini
}

// The name the fleet gives to the i-th (0-based) of `count` repeated groups called `name`.
std::string Numbered(const std::string& name, int i, int count) {
  return count == 1 ? name : name + "-" + std::to_string(i + 1);
}

rc::Gen<RandomCase> GenCase() {
  return rc::gen::exec([] {
    RandomCase c;
    const int sites = *rc::gen::inRange(1, 3);
    std::vector<SiteShape> shapes;
    std::ostringstream fleet;
    // "mini": 2 GPUs per node, 3 nodes per NVLink domain, so gangs split across nodes.
    fleet << "node_types:\n  - {name: mini, gpu: h100, gpus_per_node: 2, nodes_per_domain: 3, "
             "max_power_kw: 3, cpu_cores: 32, memory_gb: 256}\n"
          << "sites:\n";
    for (int i = 0; i < sites; ++i) {
      SiteShape sh{*rc::gen::inRange(1, 3), *rc::gen::inRange(1, 4), *rc::gen::inRange(1, 4),
                   *rc::gen::element<std::string>("dgx-h100", "mini", "gb200-nvl72", "dgx-h200")};
      // Budgets are set once the fleet's idle and full draw are known (WithBudgets); a cap
      // floor of 1 means no capping.
      fleet << "  - name: site" << i << "\n"
            << "    power_budget_mw: @budget" << i << "@\n"
            << "    gpu_power_cap_floor: " << *rc::gen::element(1.0, 0.7, 0.5) << "\n"
            << "    tariff_usd_per_mwh: " << *rc::gen::element(30, 80) << "\n"
            << (*rc::gen::arbitrary<bool>()
                    ? "    carbon_g_per_kwh: " + std::to_string(*rc::gen::element(200, 400)) + "\n"
                    : std::string())
            << "    pods:\n"
            << "      - name: p\n"
            << "        count: " << sh.pods << "\n"
            << "        leaves:\n"
            << "          - name: l\n"
            << "            count: " << sh.leaves << "\n"
            << "            domains:\n"
            << "              - {name: d, count: " << sh.domains << ", node_type: " << sh.type
            << "}\n";
      shapes.push_back(sh);
    }
    c.fleet_yaml = fleet.str();
    // Per site, where the budget falls between the idle draw (0) and the full draw (1); above 1
    // it never binds.
    for (int i = 0; i < sites; ++i) {
      c.budget_fraction.push_back(*rc::gen::element(2.0, 2.0, 1.0, 0.8, 0.5, 0.2, 0.05));
    }

    std::ostringstream w;
    w << "tenants: [{name: a, weight: " << *rc::gen::inRange(1, 4) << "}, {name: b}]\njobs:\n";
    const int jobs = *rc::gen::inRange(1, 40);
    for (int j = 0; j < jobs; ++j) {
      const int gpus = *rc::gen::element(1, 2, 3, 4, 8, 12, 16, 24, 36, 64, 72, 100, 144, 300);
      const int submit_min = *rc::gen::inRange(0, 600);
      const int duration_min = *rc::gen::inRange(1, 300);
      const int estimate_min =
          std::max(1, duration_min * *rc::gen::element(1, 2, 4) / *rc::gen::element(1, 2));
      const std::string topo =
          *rc::gen::element<std::string>("nvlink", "leaf", "pod", "site", "any");
      w << "  - {name: j" << j << ", submit: " << submit_min << "m, gpus: " << gpus
        << ", duration: " << duration_min << "m, estimate: " << estimate_min
        << "m, priority: " << *rc::gen::inRange(0, 4) << ", topology: " << topo
        << ", tenant: " << *rc::gen::element<std::string>("a", "b");
      if (*rc::gen::element(false, true))
        w << ", checkpoint_interval: " << *rc::gen::inRange(1, 60) << "m";
      if (*rc::gen::element(0, 0, 1) == 1)
        w << ", restart_overhead: " << *rc::gen::inRange(0, 30) << "m";
      if (*rc::gen::element(0, 0, 1) == 1)
        w << ", power_utilization: " << *rc::gen::element(0.0, 0.3, 0.75);
      // Some jobs share GPUs (on one node), some ask for host CPU and memory.
      if (gpus <= 4 && *rc::gen::element(0, 0, 1) == 1)
        w << ", gpu_milli: " << *rc::gen::inRange(1, 1000);
      if (*rc::gen::element(0, 0, 1) == 1) w << ", cpus: " << *rc::gen::inRange(0, 200);
      if (*rc::gen::element(0, 0, 0, 1) == 1) w << ", memory_gb: " << *rc::gen::inRange(0, 3000);
      const int pick_model = *rc::gen::element(0, 0, 0, 1, 2);
      if (pick_model == 1) w << ", gpu_model: " << ModelOf(shapes[0].type);
      // A set of models (all of the fleet's, or one plus another the fleet may lack).
      if (pick_model == 2)
        w << ", gpu_model: [" << ModelOf(shapes[0].type) << ", " << ModelOf(shapes.back().type)
          << "]";
      w << "}\n";
    }
    // Random failures of every category at up to hundreds of times Llama 3's rates (small
    // fleets, short runs), and planned maintenance.
    if (*rc::gen::element(false, true)) {
      w << "failure_model: {scale: " << *rc::gen::element(10, 100, 300)
        << ", seed: " << *rc::gen::inRange(0, 1000) << "}\n";
    }
    if (*rc::gen::element(0, 0, 1) == 1) {
      w << "maintenance: [{at: " << *rc::gen::inRange(0, 600)
        << "m, target: site0, duration: " << *rc::gen::inRange(1, 120) << "m}]\n";
    }
    const int failures = *rc::gen::inRange(0, 4);
    if (failures > 0) w << "failures:\n";
    for (int f = 0; f < failures; ++f) {
      // A whole site, pod, leaf or domain.
      const int site = *rc::gen::inRange(0, sites);
      const SiteShape& sh = shapes[static_cast<size_t>(site)];
      std::string target = "site" + std::to_string(site);
      const int depth = *rc::gen::inRange(0, 4);
      if (depth >= 1) target += "/" + Numbered("p", *rc::gen::inRange(0, sh.pods), sh.pods);
      if (depth >= 2) target += "/" + Numbered("l", *rc::gen::inRange(0, sh.leaves), sh.leaves);
      if (depth >= 3) target += "/" + Numbered("d", *rc::gen::inRange(0, sh.domains), sh.domains);
      w << "  - {at: " << *rc::gen::inRange(0, 600) << "m, target: " << target
        << ", repair_after: " << *rc::gen::inRange(1, 240) << "m}\n";
    }
    c.workload_yaml = w.str();
    c.policy = *rc::gen::element("fifo", "priority", "backfill", "sjf", "srtf", "las", "fairshare");
    return c;
  });
}

// Checks the scheduler's invariants after every recorded event.
class InvariantChecker : public EventSink {
 public:
  void Attach(const Scheduler* s) { scheduler_ = s; }
  void Record(SimTime, const char* event, JobId, const std::string&) override {
    ++events_;
    if (violation_ || scheduler_ == nullptr) return;
    if (auto v = scheduler_->CheckInvariants()) violation_ = std::string(event) + ": " + *v;
  }
  std::optional<std::string> violation_;
  int events_ = 0;

 private:
  const Scheduler* scheduler_ = nullptr;
};

RC_GTEST_PROP(SchedulerProperties, InvariantsHoldOnRandomFleetsAndWorkloads, ()) {
  const RandomCase c = *GenCase();
  Result<Fleet> fleet = WithBudgets(c);
  RC_ASSERT(fleet.ok());
  Result<WorkloadSpec> spec = ParseWorkload(c.workload_yaml, "random-workload.yaml");
  RC_ASSERT(spec.ok());
  Result<BoundWorkload> bound = BindWorkload(spec.value(), fleet.value(), 1);
  RC_ASSERT(bound.ok());
  const size_t submitted = spec.value().jobs.size();
  // Quotas for fairshare: tenant a sometimes has one, to exercise borrowing and reclaim.
  if (*rc::gen::arbitrary<bool>()) bound.value().tenants[0].quota_gpus = *rc::gen::inRange(0, 64);

  SimOptions options;
  options.scheduler.policy = c.policy;
  options.scheduler.bf_max_job_test = *rc::gen::inRange(1, 50);
  options.scheduler.las_thresholds = {*rc::gen::inRange(1, 8) * 3'600'000LL * 8,
                                      *rc::gen::inRange(9, 64) * 3'600'000LL * 8};
  options.scheduler.las_promote_knob = *rc::gen::element(0.0, 1.0, 4.0);
  options.scheduler.fairshare_half_life_ms = *rc::gen::inRange(1, 48) * kHour;
  // Any dispatch: tiers of sites hidden and shown around backfill's holds, power refusals in one
  // tier and not the next, checkpoints copied to the site chosen.
  options.scheduler.dispatch =
      *rc::gen::element(Dispatch::kBestFit, Dispatch::kCheapest, Dispatch::kLowestCarbon,
                        Dispatch::kEarliestStart, Dispatch::kPowerAware);
  // A third of the cases place single-node gangs by a share policy of the openb study (sim
  // --share-policy), whose per-node clustering tags must follow every start and stop.
  if (*rc::gen::inRange(0, 3) == 0) {
    options.scheduler.share_policy =
        *rc::gen::element(SharePolicy::kRandom, SharePolicy::kDotProd, SharePolicy::kClustering,
                          SharePolicy::kPacking, SharePolicy::kBestFit, SharePolicy::kFgd);
    options.scheduler.share_typical = {{PodRequest{0, 0, 1, 500, {}}, 0.5},
                                       {PodRequest{0, 0, 2, 1000, {}}, 0.5}};
    options.scheduler.share_seed = *rc::gen::inRange<std::uint64_t>(0, 1000);
  }
  // Two-phase starts and stops: a launch delay before a started job runs, a grace period before a
  // preempted one lets go of its GPUs.
  if (*rc::gen::arbitrary<bool>()) {
    options.launch_delay = *rc::gen::element<SimTime>(0, kSecond, 5 * kMinute);
    options.preemption_grace = *rc::gen::element<SimTime>(0, 30 * kSecond, 10 * kMinute);
  }
  // Half of the cases stop early, with work still pending or running; so do all cases with random
  // failures (at hundreds of times Llama 3's rates a gang may wait very long for healthy nodes).
  const bool early = spec.value().failure_model.has_value() || *rc::gen::arbitrary<bool>();
  if (early) options.until = *rc::gen::inRange(1, 24 * 60) * kMinute;
  RC_LOG() << "policy " << c.policy << ", dispatch " << DispatchName(options.scheduler.dispatch)
           << "\n"
           << c.fleet_yaml << c.workload_yaml << "\n";
  Simulator sim(fleet.value(), std::move(bound).value(), options);
  InvariantChecker checker;
  checker.Attach(&sim.scheduler());
  sim.set_event_sink(&checker);
  const SimResult r = sim.Run();

  RC_ASSERT(checker.violation_.value_or("") == std::string());  // prints the violation
  // GPU-seconds conserved: what the jobs held adds up to the integral of allocated GPUs.
  long double held = 0;
  for (const JobRecord& j : r.jobs) held += static_cast<long double>(j.gpu_milli_ms);
  RC_ASSERT(held == r.allocated_gpu_milli_ms);
  RC_ASSERT(r.allocated_gpu_milli_ms <= r.available_gpu_milli_ms);
  // Every job is accounted for: it completed, was rejected as never able to fit, or - only when
  // the run stopped at --until - is reported pending or running at the end.
  bool capped = false;
  for (const SimResult::SitePower& p : r.sites) capped = capped || p.capped_ms > 0;
  const bool tight = std::any_of(c.budget_fraction.begin(), c.budget_fraction.end(),
                                 [](double f) { return f < 1; });
  std::int64_t completed = 0, rejected = 0, pending = 0, running = 0;
  for (const JobRecord& j : r.jobs) {
    switch (j.state) {
      case JobRecord::State::kCompleted:
        ++completed;
        break;
      case JobRecord::State::kRejected:
        ++rejected;
        break;
      case JobRecord::State::kPending:
        ++pending;
        break;
      case JobRecord::State::kRunning:
        ++running;
        break;
    }
    if (j.state == JobRecord::State::kCompleted) {
      // Its run time is its duration plus the work it lost to interruptions, and more where a
      // power cap slowed it.
      // A launch delay counts as restart time; a grace period after a preemption as grace.
      if (!capped) RC_ASSERT(j.run_ms == j.spec.duration + j.lost_ms + j.restart_ms + j.grace_ms);
      RC_ASSERT(j.run_ms >= j.spec.duration + j.lost_ms + j.restart_ms + j.grace_ms);
      RC_ASSERT(j.first_start >= j.spec.submit);
      RC_ASSERT(j.end - j.first_start >= j.spec.duration);
      RC_ASSERT(j.end <= r.end_time);
    }
    if (j.state == JobRecord::State::kRejected) RC_ASSERT(j.gpu_milli_ms == 0);
  }
  RC_TAG(tight ? "tight budget" : "ample budget", capped ? "capped" : "uncapped");
  // A site's budget is a hard limit.
  for (const SimResult::SitePower& p : r.sites) RC_ASSERT(p.over_budget_ms == 0);
  // With power to spare, every job ends. A tight budget may leave a job that fits the GPUs of the
  // idle fleet but in no placement its power: it waits (reported pending) rather than being
  // rejected, since the bound checked at submission is only necessary.
  if (!early && !tight) RC_ASSERT(pending + running == 0);
  if (running > 0 || (pending > 0 && !tight))
    RC_ASSERT(r.stopped_at_until && r.end_time == options.until);
  // Jobs submitted after --until never arrived; all others are counted once.
  RC_ASSERT(completed + rejected + pending + running == static_cast<std::int64_t>(r.jobs.size()));
  RC_ASSERT(r.jobs.size() <= submitted);
  // Repairs due after the last job are not simulated: the run ends with the work.
  RC_ASSERT(r.node_failures >= r.node_repairs);
}

// Snapshot and restore: a scheduler replaced, after a random event, by a fresh one restored from
// its snapshot decides exactly as the uninterrupted one - every later start, preemption and wait,
// hence the same event log and jobs, byte for byte - under every policy, with and without the
// two-phase starts and stops, failures and power budgets.
RC_GTEST_PROP(SchedulerProperties, RestoredSchedulerDecidesAsTheUninterruptedOne, ()) {
  const RandomCase c = *GenCase();
  Result<Fleet> fleet = WithBudgets(c);
  RC_ASSERT(fleet.ok());
  Result<WorkloadSpec> spec = ParseWorkload(c.workload_yaml, "random-workload.yaml");
  RC_ASSERT(spec.ok());
  const bool quota = *rc::gen::arbitrary<bool>();
  SimOptions options;
  options.scheduler.policy = c.policy;
  options.scheduler.bf_max_job_test = *rc::gen::inRange(1, 50);
  options.scheduler.las_promote_knob = *rc::gen::element(0.0, 1.0);
  options.scheduler.fairshare_half_life_ms = *rc::gen::inRange(1, 48) * kHour;
  if (*rc::gen::arbitrary<bool>()) {
    options.launch_delay = *rc::gen::element<SimTime>(0, 5 * kMinute);
    options.preemption_grace = *rc::gen::element<SimTime>(0, 10 * kMinute);
  }
  options.until = 24 * kHour;
  auto run = [&](std::uint64_t restore_after) {
    BoundWorkload bound = BindWorkload(spec.value(), fleet.value(), 1).value();
    if (quota) bound.tenants[0].quota_gpus = 16;
    Simulator sim(fleet.value(), std::move(bound), options);
    if (restore_after > 0) sim.RestoreSchedulerAfter(restore_after);
    std::ostringstream events, jobs;
    CsvEventLog log(events);
    sim.set_event_sink(&log);
    const SimResult r = sim.Run();
    WriteJobsCsv(jobs, r, fleet.value());
    return std::make_tuple(events.str(), jobs.str(), r.events);
  };
  const auto [events, jobs, count] = run(0);
  RC_PRE(count > 1);
  const std::uint64_t at = *rc::gen::inRange<std::uint64_t>(1, count);
  const auto [events2, jobs2, count2] = run(at);
  RC_TAG(c.policy);
  RC_ASSERT(count2 == count);
  RC_ASSERT(events2 == events);
  RC_ASSERT(jobs2 == jobs);
}

// EASY's promise: with exact estimates and equal priorities (so the head changes only when it
// starts), a job never starts later than the first shadow time it was promised as the head.
class ReservationWatcher : public EventSink {
 public:
  explicit ReservationWatcher(const Scheduler& s) : scheduler_(s) {}
  void Record(SimTime, const char*, JobId, const std::string&) override {
    if (auto r = scheduler_.reservation()) promised_.emplace(r->first, r->second);  // first only
  }
  std::map<JobId, SimTime> promised_;

 private:
  const Scheduler& scheduler_;
};

RC_GTEST_PROP(SchedulerProperties, BackfillNeverDelaysTheReservedHead, ()) {
  const int domains = *rc::gen::inRange(1, 5);
  const Fleet fleet =
      testing::MustParseFleet(testing::DgxFleetYaml(*rc::gen::inRange(1, 3), 2, domains));
  std::ostringstream w;
  w << "jobs:\n";
  const int jobs = *rc::gen::inRange(2, 40);
  for (int j = 0; j < jobs; ++j) {
    w << "  - {submit: " << *rc::gen::inRange(0, 300)
      << "m, gpus: " << *rc::gen::element(1, 2, 4, 8, 12, 16, 24, 32)
      << ", duration: " << *rc::gen::inRange(1, 200)
      << "m, topology: " << *rc::gen::element<std::string>("nvlink", "leaf", "pod", "any") << "}\n";
  }
  Result<BoundWorkload> bound = BindWorkload(testing::MustParseWorkload(w.str()), fleet, 1);
  RC_ASSERT(bound.ok());
  SimOptions options;
  options.scheduler.policy = "backfill";
  Simulator sim(fleet, std::move(bound).value(), options);
  ReservationWatcher watcher(sim.scheduler());
  sim.set_event_sink(&watcher);
  const SimResult r = sim.Run();
  for (const auto& [job, shadow] : watcher.promised_) {
    RC_ASSERT(r.jobs[static_cast<size_t>(job)].first_start <= shadow);
  }
}

// Placement alone, without the simulator: random take/release/fail sequences on one fleet, where
// a placement must succeed exactly when some subtree of the constraint level has enough free GPUs.
RC_GTEST_PROP(CapacityIndexProperties, PlacementIsCompleteAndConsistent, ()) {
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(2, 3, 3));  // 144 GPUs
  CapacityIndex index(fleet);
  std::vector<Allocation> held;
  const int steps = *rc::gen::inRange(1, 60);
  for (int s = 0; s < steps; ++s) {
    const int action = *rc::gen::inRange(0, 10);
    if (action < 6) {
      const int gpus = *rc::gen::inRange(1, 80);
      const Level level =
          *rc::gen::element(Level::kFleet, Level::kSite, Level::kPod, Level::kLeaf, Level::kDomain);
      // Brute force: the largest free count of one subtree of `level`.
      int best = 0;
      for (TopoId t = fleet.LevelBegin(level); t < fleet.LevelEnd(level); ++t) {
        int free = 0;
        auto [first, last] = fleet.NodeRange(t);
        for (NodeId n = first; n < last; ++n) {
          if (index.NodeUp(n)) free += std::popcount(index.NodeFreeMask(n));
        }
        best = std::max(best, free);
      }
      std::vector<std::uint64_t> before(static_cast<size_t>(fleet.num_nodes()));
      for (NodeId n = 0; n < fleet.num_nodes(); ++n)
        before[static_cast<size_t>(n)] = index.NodeFreeMask(n);
      std::optional<Allocation> a = index.Place(gpus, kAnyModel, level);
      RC_ASSERT(a.has_value() == (gpus <= best));
      if (a) {
        RC_ASSERT(a->Gpus() == gpus);
        const TopoId subtree = fleet.Ancestor(a->nodes.front().node, level);
        for (const NodeGpus& ng : a->nodes) {
          RC_ASSERT(fleet.Ancestor(ng.node, level) == subtree);
          RC_ASSERT(index.NodeUp(ng.node));
          RC_ASSERT((before[static_cast<size_t>(ng.node)] & ng.mask) == ng.mask);  // were free
        }
        held.push_back(std::move(*a));
      }
    } else if (action < 9 && !held.empty()) {
      const size_t i = *rc::gen::inRange<size_t>(0, held.size());
      index.Release(held[i]);
      held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      const NodeId n = *rc::gen::inRange(0, fleet.num_nodes());
      // Only fail nodes nobody holds, as the scheduler releases jobs before failing a node.
      bool busy = false;
      for (const Allocation& a : held) {
        for (const NodeGpus& ng : a.nodes) busy = busy || ng.node == n;
      }
      if (!busy) index.SetNodeUp(n, !index.NodeUp(n));
    }
    const std::optional<std::string> problem = index.Verify();
    RC_ASSERT(!problem.has_value());
  }
}

}  // namespace
}  // namespace gpufleet
