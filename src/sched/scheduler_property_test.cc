// Properties of the scheduler driven directly by random calls - valid, late, duplicated and plain
// wrong ones, as a network delivers them - under every policy, with and without two-phase stops
// and absent nodes:
// - a refused call changes nothing (the snapshot is the same byte for byte), and every call
//   leaves the invariants whole;
// - a scheduler restored from a snapshot taken at a random point answers every later call exactly
//   as the original does.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <sstream>

#include "sched/scheduler.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

class IdOracle : public DurationOracle {
 public:
  SimTime TrueDuration(JobId id) const override { return (id * 7919 % 97 + 1) * kMinute; }
};

struct Op {
  int kind = 0;
  int a = 0, b = 0, c = 0;
};

// What the driver knows: the jobs it submitted and the starts and stops it was told of.
struct Driver {
  JobId next_id = 0;
  SimTime now = 0;
  std::vector<JobId> submitted;
  std::vector<std::pair<JobId, Epoch>> starting, running, stopping;
};

template <typename T>
T Take(std::vector<T>& v, int i) {
  const size_t at = static_cast<size_t>(i) % v.size();
  T x = v[at];
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(at));
  return x;
}

// Applies one call; appends what came back to `transcript`. A refused call must change nothing.
void Apply(Scheduler& s, Driver& d, const Op& op, std::string& transcript) {
  const std::string before = s.Snapshot();
  Status st;
  const int nodes = s.fleet().num_nodes();
  switch (op.kind) {
    case 0: {  // submit, sometimes with a duplicate id or a bad request
      JobRequest r;
      r.gpus = std::vector<int>{1, 4, 8, 16, 24, 32, 64, 0}[static_cast<size_t>(op.a % 8)];
      r.priority = op.b % 3;
      r.topology = static_cast<Topology>(op.c % 5);
      r.estimate = (op.a % 5) * 10 * kMinute;
      r.tenant = op.c % 3 == 2 ? 1 : 0;
      const JobId id = op.b % 11 == 0 && !d.submitted.empty() ? d.submitted.back() : d.next_id++;
      st = s.Submit(id, r, d.now);
      if (st.ok()) d.submitted.push_back(id);
      break;
    }
    case 1: {  // a pass
      d.now += op.a % 4 * kMinute;
      std::vector<Decision> out;
      st = s.Schedule(d.now, out);
      for (const Decision& dec : out) {
        transcript += (dec.kind == Decision::Kind::kStart ? " start " : " preempt ") +
                      std::to_string(dec.job) + "/" + std::to_string(dec.epoch) + "@" +
                      std::to_string(dec.allocation.nodes.front().node);
        if (dec.kind == Decision::Kind::kStart) {
          d.starting.emplace_back(dec.job, dec.epoch);
        } else {
          for (auto* list : {&d.running, &d.starting}) {
            std::erase_if(*list, [&](const auto& p) { return p.first == dec.job; });
          }
          if (s.Find(dec.job) && s.Find(dec.job)->state == JobState::kStopping)
            d.stopping.emplace_back(dec.job, dec.epoch);
        }
      }
      break;
    }
    case 2:  // confirm a start (or a stale one)
      if (d.starting.empty()) return;
      {
        auto [id, epoch] = Take(d.starting, op.a);
        st = s.ConfirmStart(id, epoch + (op.b % 7 == 0 ? 1 : 0), d.now);
        if (st.ok()) d.running.emplace_back(id, epoch);
      }
      break;
    case 3:  // a start fails
      if (d.starting.empty()) return;
      st = s.StartFailed(Take(d.starting, op.a).first, static_cast<Epoch>(op.b % 3), d.now);
      break;
    case 4:  // a job completes (or a finish arrives for a job that does not run)
      if (!d.running.empty() && op.b % 5 != 0) {
        st = s.Finish(Take(d.running, op.a).first, d.now);
      } else if (!d.submitted.empty()) {
        st = s.Finish(d.submitted[static_cast<size_t>(op.a) % d.submitted.size()], d.now);
      } else {
        return;
      }
      break;
    case 5:  // cancel
      if (d.submitted.empty()) return;
      st = s.Cancel(d.submitted[static_cast<size_t>(op.a) % d.submitted.size()], d.now);
      break;
    case 6:  // a stopping job releases its GPUs
      if (d.stopping.empty()) return;
      {
        auto [id, epoch] = Take(d.stopping, op.a);
        st = s.Released(id, epoch, d.now);
      }
      break;
    case 7: {  // a node fails, comes back, leaves or registers
      const NodeId n = op.a % nodes;
      switch (op.b % 4) {
        case 0:
          st = s.FailNode(n, d.now).status();
          break;
        case 1:
          st = s.RepairNode(n, d.now);
          break;
        case 2:
          st = s.RemoveNode(n, d.now).status();
          break;
        default:
          st = s.RegisterNode(n, d.now);
          break;
      }
      // Jobs the node took down may be anywhere in the driver's lists: drop those that no
      // longer hold GPUs.
      for (auto* list : {&d.starting, &d.running, &d.stopping}) {
        std::erase_if(*list, [&](const auto& p) {
          const std::optional<JobView> v = s.Find(p.first);
          return !v || v->epoch != p.second || v->state == JobState::kPending;
        });
      }
      break;
    }
    case 8:  // a call from the past
      st = s.Tick(d.now - 1 - op.a % 3);
      break;
    case 9:  // kept progress of a waiting job
      if (d.submitted.empty()) return;
      st = s.SetAttained(d.submitted[static_cast<size_t>(op.a) % d.submitted.size()],
                         (op.b % 4 - 1) * kMinute);
      break;
    default:
      st = s.Tick(d.now);
      break;
  }
  transcript += " " + std::to_string(op.kind) +
                (st.ok() ? "+" : "-" + std::to_string(static_cast<int>(st.code())));
  if (!st.ok()) RC_ASSERT(s.Snapshot() == before);
  const std::optional<std::string> broken = s.CheckInvariants();
  RC_ASSERT(broken.value_or("") == std::string());
}

RC_GTEST_PROP(SchedulerCallProperties, RandomCallsKeepInvariantsAndRestoreExactly, ()) {
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(2, 2, 2));  // 64 GPUs
  SchedulerConfig config;
  config.policy = *rc::gen::element<std::string>("fifo", "priority", "backfill", "sjf", "srtf",
                                                 "las", "fairshare");
  config.confirm_stops = *rc::gen::arbitrary<bool>();
  config.nodes_present = *rc::gen::element(true, true, false);
  config.bf_max_job_test = *rc::gen::inRange(1, 10);
  config.las_thresholds = {8 * kHour};
  config.las_promote_knob = *rc::gen::element(0.0, 2.0);
  const std::vector<Tenant> tenants = {{"a", 1, 16}, {"b", 2, std::nullopt}};
  IdOracle oracle;
  auto make = [&] {
    return Scheduler::Create(fleet, config, tenants, {nullptr, nullptr, &oracle}).value();
  };
  const auto ops = *rc::gen::scale(
      4, rc::gen::container<std::vector<Op>>(rc::gen::build<Op>(
             // Weighted so that jobs fill the fleet, start and run long enough to be preempted.
             rc::gen::set(&Op::kind, rc::gen::weightedElement<int>({{30, 0},
                                                                    {20, 1},
                                                                    {20, 2},
                                                                    {2, 3},
                                                                    {6, 4},
                                                                    {3, 5},
                                                                    {6, 6},
                                                                    {4, 7},
                                                                    {2, 8},
                                                                    {2, 9},
                                                                    {2, 10}})),
             rc::gen::set(&Op::a, rc::gen::inRange(0, 1000)),
             rc::gen::set(&Op::b, rc::gen::inRange(0, 1000)),
             rc::gen::set(&Op::c, rc::gen::inRange(0, 1000)))));
  const size_t cut = ops.empty() ? 0 : *rc::gen::inRange<size_t>(0, ops.size());

  Scheduler original = make();
  Driver d1;
  std::string t1;
  for (const Op& op : ops) Apply(original, d1, op, t1);

  Scheduler before_cut = make();
  Driver d2;
  std::string t2;
  for (size_t i = 0; i < cut; ++i) Apply(before_cut, d2, ops[i], t2);
  Scheduler restored = make();
  const Status st = restored.Restore(before_cut.Snapshot());
  RC_ASSERT(st.ok());
  RC_ASSERT(restored.Snapshot() == before_cut.Snapshot());
  for (size_t i = cut; i < ops.size(); ++i) Apply(restored, d2, ops[i], t2);
  RC_TAG(config.policy, t1.find("preempt") != std::string::npos ? "preempted" : "no preemption",
         t1.find("start") != std::string::npos ? "started" : "none started");
  RC_ASSERT(t2 == t1);
  RC_ASSERT(restored.Snapshot() == original.Snapshot());
}

}  // namespace
}  // namespace gpufleet
