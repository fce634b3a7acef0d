// The scheduler driven directly, as the daemon will drive it: the checked API (every misuse is an
// error that changes nothing), two-phase starts and stops, absent nodes, slot reuse, why jobs
// wait, with fake admission guard, placement judge and duration oracle.
#include "sched/scheduler.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "test_fleets.h"

namespace gpufleet {
namespace {

// 2 pods x 2 leaves x 2 DGX H100: 8 nodes of 8 GPUs. Nodes 0-1 leaf 0 and 2-3 leaf 1 (pod 0);
// 4-7 pod 1.
Fleet SmallFleet() { return testing::MustParseFleet(testing::DgxFleetYaml(2, 2, 2)); }

JobRequest Gpus(int n, int priority = 0, Topology t = Topology::kAny) {
  JobRequest r;
  r.gpus = n;
  r.priority = priority;
  r.topology = t;
  r.estimate = kHour;
  return r;
}

class FakeOracle : public DurationOracle {
 public:
  SimTime TrueDuration(JobId id) const override { return durations.at(id); }
  std::map<JobId, SimTime> durations;
};

// Refuses every placement that touches the sites in `refuse`.
class FakeAdmission : public AdmissionGuard {
 public:
  explicit FakeAdmission(const Fleet& fleet) : fleet_(fleet) {}
  void Refusing(const Load& load, const std::vector<Load>&,
                std::vector<TopoId>& sites) const override {
    for (const NodeGpus& ng : load.allocation->nodes) {
      const TopoId site = fleet_.Ancestor(ng.node, Level::kSite);
      if (refuse.count(site) && std::find(sites.begin(), sites.end(), site) == sites.end())
        sites.push_back(site);
    }
  }
  std::int64_t MostGpusEver(const GangRequest&) const override { return 1 << 30; }
  void Started(const Load&) override { ++started; }
  void Stopped(const Load&) override { ++stopped; }
  std::set<TopoId> refuse;
  int started = 0, stopped = 0;

 private:
  const Fleet& fleet_;
};

class FakeJudge : public PlacementJudge {
 public:
  bool Accepts(JobId job, const Allocation&) override { return !refuse.count(job); }
  std::set<JobId> refuse;
};

class SchedulerTest : public ::testing::Test {
 protected:
  Scheduler Make(const std::string& policy, SchedulerConfig config = {},
                 std::vector<Tenant> tenants = {}, SchedulerHooks hooks = {}) {
    config.policy = policy;
    Result<Scheduler> s = Scheduler::Create(fleet_, config, std::move(tenants), hooks);
    EXPECT_TRUE(s.ok()) << s.message();
    return std::move(s).value();
  }
  std::vector<Decision> Pass(Scheduler& s, SimTime now) {
    std::vector<Decision> out;
    EXPECT_TRUE(s.Schedule(now, out).ok());
    return out;
  }
  // Schedules and confirms every start at `now`.
  std::vector<Decision> PassAndConfirm(Scheduler& s, SimTime now) {
    std::vector<Decision> out = Pass(s, now);
    for (const Decision& d : out) {
      if (d.kind == Decision::Kind::kStart) {
        EXPECT_TRUE(s.ConfirmStart(d.job, d.epoch, now).ok());
      }
    }
    return out;
  }
  // A wrong call must leave the state as it was, byte for byte.
  template <typename Call>
  void ExpectRefusedAndUnchanged(Scheduler& s, ErrorCode code, Call&& call) {
    const std::string before = s.Snapshot();
    const Status st = call();
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(st.code(), code) << st.message();
    EXPECT_FALSE(st.message().empty());
    EXPECT_EQ(s.Snapshot(), before) << "a refused call changed the scheduler: " << st.message();
    EXPECT_EQ(s.CheckInvariants().value_or(""), "");
  }
  Fleet fleet_ = SmallFleet();
};

TEST_F(SchedulerTest, CreateRefusesUnknownPoliciesAndOraclesWithoutAnOracle) {
  SchedulerConfig c;
  c.policy = "round-robin";
  Result<Scheduler> unknown = Scheduler::Create(fleet_, c);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("fifo, priority, backfill"), std::string::npos);
  for (const char* oracle : {"sjf", "srtf"}) {
    c.policy = oracle;
    Result<Scheduler> s = Scheduler::Create(fleet_, c);
    ASSERT_FALSE(s.ok()) << oracle;
    EXPECT_NE(s.message().find("oracle"), std::string::npos) << s.message();
    FakeOracle o;
    EXPECT_TRUE(Scheduler::Create(fleet_, c, {}, {nullptr, nullptr, &o}).ok());
  }
}

TEST_F(SchedulerTest, AJobGoesThroughStartingRunningAndItsSlotIsReused) {
  Scheduler s = Make("fifo");
  ASSERT_TRUE(s.Submit(1'000'000'000'007, Gpus(16, 0, Topology::kLeaf), 0).ok());
  std::vector<Decision> out = Pass(s, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Decision::Kind::kStart);
  EXPECT_EQ(out[0].job, 1'000'000'000'007);
  EXPECT_EQ(out[0].epoch, 1u);
  EXPECT_EQ(out[0].allocation.Gpus(), 16);
  // A 16-GPU leaf gang fills one leaf's two nodes.
  ASSERT_EQ(out[0].allocation.nodes.size(), 2u);
  EXPECT_EQ(s.Find(1'000'000'000'007)->state, JobState::kStarting);
  ASSERT_TRUE(s.ConfirmStart(1'000'000'000'007, 1, 5).ok());
  EXPECT_EQ(s.Find(1'000'000'000'007)->state, JobState::kRunning);
  EXPECT_EQ(s.Find(1'000'000'000'007)->run_start, 5);
  EXPECT_EQ(s.JobsOn(out[0].allocation.nodes[0].node), std::vector<JobId>{1'000'000'000'007});
  ASSERT_TRUE(s.Finish(1'000'000'000'007, 1, 10).ok());
  EXPECT_FALSE(s.Find(1'000'000'000'007).has_value());
  EXPECT_EQ(s.live_jobs(), 0u);
  EXPECT_EQ(s.allocated_milli(), 0);
  // The next job takes the same slot.
  ASSERT_TRUE(s.Submit(8, Gpus(1), 11).ok());
  EXPECT_EQ(s.slot_capacity(), 1u);
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
}

TEST_F(SchedulerTest, EveryMisuseIsRefusedAndChangesNothing) {
  Scheduler s = Make("priority");
  ASSERT_TRUE(s.Submit(1, Gpus(8), 100).ok());
  ASSERT_TRUE(s.Submit(2, Gpus(64), 100).ok());  // waits behind nothing: fills the fleet later
  std::vector<Decision> out = Pass(s, 100);
  ASSERT_EQ(out.size(), 1u);  // job 1 starts; job 2 (64 GPUs) does not fit beside it
  const Epoch e1 = out[0].epoch;

  // Submit: duplicate, bad fields, time going back.
  ExpectRefusedAndUnchanged(s, ErrorCode::kAlreadyExists,
                            [&] { return s.Submit(1, Gpus(1), 100); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kInvalidArgument,
                            [&] { return s.Submit(-3, Gpus(1), 100); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kInvalidArgument,
                            [&] { return s.Submit(3, Gpus(0), 100); });
  JobRequest share = Gpus(1);
  share.gpu_milli = 1001;
  ExpectRefusedAndUnchanged(s, ErrorCode::kInvalidArgument,
                            [&] { return s.Submit(3, share, 100); });
  JobRequest tenant = Gpus(1);
  tenant.tenant = 5;
  ExpectRefusedAndUnchanged(s, ErrorCode::kInvalidArgument,
                            [&] { return s.Submit(3, tenant, 100); });
  JobRequest model = Gpus(1);
  model.gpu_model = 7;
  ExpectRefusedAndUnchanged(s, ErrorCode::kInvalidArgument,
                            [&] { return s.Submit(3, model, 100); });
  JobRequest cpu = Gpus(1);
  cpu.cpu_milli = -1;
  ExpectRefusedAndUnchanged(s, ErrorCode::kInvalidArgument, [&] { return s.Submit(3, cpu, 100); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kOutOfRange, [&] { return s.Submit(3, Gpus(1), 99); });
  // A job that can never fit is refused as unsatisfiable, with the reason, and not kept.
  const Status too_big = s.Submit(3, Gpus(65), 100);
  EXPECT_EQ(too_big.code(), ErrorCode::kUnsatisfiable);
  EXPECT_NE(too_big.message().find("largest such subtree of the fleet has 64"), std::string::npos)
      << too_big.message();
  EXPECT_FALSE(s.Find(3).has_value());

  // The reproducer: finishing a job that is still queued.
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition, [&] { return s.Finish(2, 1, 101); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.Finish(1, e1, 101); });  // starting
  ExpectRefusedAndUnchanged(s, ErrorCode::kNotFound, [&] { return s.Finish(99, 1, 101); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.ConfirmStart(1, e1 + 1, 101); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.ConfirmStart(2, 1, 101); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kNotFound, [&] { return s.ConfirmStart(99, 1, 101); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kOutOfRange, [&] { return s.ConfirmStart(1, e1, 99); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.StartFailed(1, e1 + 1, 101); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.StartFailed(2, 1, 101); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.Released(1, e1, 101); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kNotFound, [&] { return s.Released(99, 1, 101); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kNotFound, [&] { return s.Cancel(99, 101); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition, [&] { return s.SetAttained(1, 5); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kInvalidArgument, [&] { return s.SetAttained(2, -5); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kNotFound, [&] { return s.SetAttained(99, 5); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kOutOfRange, [&] { return s.Tick(50); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kOutOfRange, [&] {
    std::vector<Decision> d;
    return s.Schedule(50, d);
  });
  // Nodes: out of range, already in the state asked for.
  ExpectRefusedAndUnchanged(s, ErrorCode::kNotFound, [&] { return s.FailNode(8, 101).status(); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kNotFound, [&] { return s.FailNode(-1, 101).status(); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.RepairNode(0, 101); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kAlreadyExists, [&] { return s.RegisterNode(0, 101); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kOutOfRange, [&] { return s.FailNode(0, 99).status(); });
  ASSERT_TRUE(s.FailNode(7, 101).ok());
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.FailNode(7, 101).status(); });
  ASSERT_TRUE(s.RemoveNode(7, 102).ok());
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.RemoveNode(7, 102).status(); });
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.RepairNode(7, 102); });
  EXPECT_EQ(s.StateOf(7), NodeState::kAbsent);
  ASSERT_TRUE(s.RegisterNode(7, 103).ok());
  EXPECT_EQ(s.StateOf(7), NodeState::kUp);

  // After all that, the state is as the valid calls left it.
  ASSERT_TRUE(s.ConfirmStart(1, e1, 104).ok());
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.Finish(1, e1 + 1, 105); });  // another run's end
  ASSERT_TRUE(s.Finish(1, e1, 105).ok());
  out = Pass(s, 105);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].job, 2);
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
}

TEST_F(SchedulerTest, AFailedStartIsRolledBackAndAStaleAnswerRefused) {
  Scheduler s = Make("fifo");
  ASSERT_TRUE(s.Submit(1, Gpus(64), 0).ok());
  std::vector<Decision> out = Pass(s, 0);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(s.StartFailed(1, out[0].epoch, 3).ok());
  EXPECT_EQ(s.Find(1)->state, JobState::kPending);
  EXPECT_EQ(s.allocated_milli(), 0);
  EXPECT_EQ(s.Find(1)->attained, 0);  // it never ran
  out = Pass(s, 4);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].epoch, 2u);
  EXPECT_EQ(s.ConfirmStart(1, 1, 5).code(), ErrorCode::kFailedPrecondition);  // the first start's
  EXPECT_TRUE(s.ConfirmStart(1, 2, 5).ok());
}

TEST_F(SchedulerTest, WithConfirmedStopsAVictimKeepsItsGpusUntilReleased) {
  SchedulerConfig c;
  c.confirm_stops = true;
  Scheduler s = Make("priority", c);
  ASSERT_TRUE(s.Submit(1, Gpus(64, 0), 0).ok());
  PassAndConfirm(s, 0);
  ASSERT_TRUE(s.Submit(2, Gpus(8, 5), 10).ok());
  std::vector<Decision> out = Pass(s, 10);
  ASSERT_EQ(out.size(), 1u);  // the victim is told to stop; the head does not start yet
  EXPECT_EQ(out[0].kind, Decision::Kind::kPreempt);
  EXPECT_EQ(out[0].job, 1);
  EXPECT_EQ(out[0].allocation.Gpus(), 64);
  EXPECT_EQ(s.Find(1)->state, JobState::kStopping);
  EXPECT_EQ(s.allocated_milli(), 64 * 1000);  // its GPUs are not handed to anyone
  EXPECT_EQ(s.WhyPending(2)->code, WaitReason::kPreempting);
  EXPECT_EQ(s.WhyPending(2)->ahead, 1);
  // More passes during the grace period neither preempt again nor start the head.
  ASSERT_TRUE(s.Submit(3, Gpus(8, 1), 11).ok());
  EXPECT_TRUE(Pass(s, 11).empty());
  ASSERT_TRUE(s.Released(1, out[0].epoch, 40).ok());
  EXPECT_EQ(s.Find(1)->state, JobState::kPending);
  EXPECT_EQ(s.Find(1)->attained, 10);  // ran from 0 until told to stop at 10
  out = Pass(s, 40);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].job, 2);
  EXPECT_EQ(out[1].job, 3);
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
}

TEST_F(SchedulerTest, WithoutConfirmedStopsTheHeadStartsInTheSamePass) {
  Scheduler s = Make("priority");
  ASSERT_TRUE(s.Submit(1, Gpus(64, 0), 0).ok());
  PassAndConfirm(s, 0);
  ASSERT_TRUE(s.Submit(2, Gpus(8, 5), 10).ok());
  std::vector<Decision> out = Pass(s, 10);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].kind, Decision::Kind::kPreempt);
  EXPECT_EQ(out[1].kind, Decision::Kind::kStart);
  EXPECT_EQ(out[1].job, 2);
  EXPECT_EQ(s.Find(1)->state, JobState::kPending);
}

TEST_F(SchedulerTest, CancelInEveryState) {
  SchedulerConfig c;
  c.confirm_stops = true;
  Scheduler s = Make("fifo", c);
  ASSERT_TRUE(s.Submit(1, Gpus(32), 0).ok());
  ASSERT_TRUE(s.Submit(2, Gpus(32), 0).ok());
  ASSERT_TRUE(s.Submit(3, Gpus(32), 0).ok());
  std::vector<Decision> out = PassAndConfirm(s, 0);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_TRUE(s.Cancel(3, 1).ok());  // waiting: gone
  EXPECT_FALSE(s.Find(3));
  ASSERT_TRUE(s.Cancel(1, 2).ok());  // running: stopping until released
  EXPECT_EQ(s.Find(1)->state, JobState::kStopping);
  EXPECT_EQ(s.allocated_milli(), 64 * 1000);
  ASSERT_TRUE(s.Released(1, out[0].epoch, 3).ok());
  EXPECT_FALSE(s.Find(1));
  EXPECT_EQ(s.allocated_milli(), 32 * 1000);
  // A job that completes during its grace period simply ends.
  ASSERT_TRUE(s.Cancel(2, 4).ok());
  ASSERT_TRUE(s.Finish(2, 1, 5).ok());
  EXPECT_EQ(s.live_jobs(), 0u);
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
}

TEST_F(SchedulerTest, CancellingAnUnconfirmedStartLeavesThePolicyConsistent) {
  // Regression: cancelling a starting job moved its start time, by which priority keys its
  // victims; the stale entry then named the slot's next job a second time, and a preemption
  // released that job's GPUs twice. d runs from 1; a starts at 2 and is cancelled before it is
  // confirmed; b takes a's slot at 5; c (priority 5, the whole fleet) must evict b and d, once
  // each.
  SchedulerConfig c;
  c.confirm_stops = true;
  Scheduler s = Make("priority", c);
  ASSERT_TRUE(s.Submit(4, Gpus(32, 0), 1).ok());
  PassAndConfirm(s, 1);
  ASSERT_TRUE(s.Submit(1, Gpus(32, 0), 2).ok());
  std::vector<Decision> out = Pass(s, 2);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(s.Cancel(1, 3).ok());
  EXPECT_EQ(s.Find(1)->state, JobState::kStopping);
  EXPECT_EQ(s.allocated_milli(), 64 * 1000);
  ASSERT_TRUE(s.Released(1, out[0].epoch, 4).ok());
  EXPECT_FALSE(s.Find(1));
  ASSERT_TRUE(s.Submit(2, Gpus(32, 0), 5).ok());
  PassAndConfirm(s, 5);
  ASSERT_TRUE(s.Submit(3, Gpus(64, 5), 10).ok());
  out = Pass(s, 10);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].job, 2);
  EXPECT_EQ(out[1].job, 4);
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
}

TEST_F(SchedulerTest, NodesAreAbsentUntilTheyRegister) {
  SchedulerConfig c;
  c.nodes_present = false;
  Scheduler s = Make("fifo", c);
  EXPECT_EQ(s.StateOf(0), NodeState::kAbsent);
  // Not rejected: the nodes may still come.
  ASSERT_TRUE(s.Submit(1, Gpus(16, 0, Topology::kLeaf), 0).ok());
  EXPECT_TRUE(Pass(s, 0).empty());
  EXPECT_EQ(s.WhyPending(1)->code, WaitReason::kCapacity);
  EXPECT_EQ(s.WhyPending(1)->most_free, 0);
  ASSERT_TRUE(s.RegisterNode(2, 1).ok());
  EXPECT_TRUE(Pass(s, 1).empty());  // one node of a leaf: 8 GPUs
  EXPECT_EQ(s.WhyPending(1)->most_free, 8);
  ASSERT_TRUE(s.RegisterNode(3, 2).ok());
  std::vector<Decision> out = Pass(s, 2);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].allocation.nodes.front().node, 2);
  // Removing a node stops its jobs like a failure.
  ASSERT_TRUE(s.ConfirmStart(1, out[0].epoch, 3).ok());
  Result<Scheduler::NodeLoss> hit = s.RemoveNode(3, 4);
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(hit.value().interrupted, std::vector<JobId>{1});
  EXPECT_TRUE(hit.value().released.empty());
  EXPECT_EQ(s.Find(1)->state, JobState::kPending);
  EXPECT_EQ(s.Find(1)->attained, 1);
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
}

TEST_F(SchedulerTest, MemoryFollowsTheLiveJobsNotTheSubmittedOnes) {
  Scheduler s = Make("backfill");
  // 100,000 jobs through the scheduler, at most 16 alive at once.
  SimTime now = 0;
  JobId next = 0;
  std::vector<JobId> running;
  while (next < 100'000) {
    while (s.live_jobs() < 16 && next < 100'000) ASSERT_TRUE(s.Submit(next++, Gpus(8), now).ok());
    for (const Decision& d : PassAndConfirm(s, now)) running.push_back(d.job);
    ++now;
    for (JobId id : running) ASSERT_TRUE(s.Finish(id, 1, now).ok());
    running.clear();
  }
  EXPECT_LE(s.slot_capacity(), 16u);
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
}

TEST_F(SchedulerTest, OraclePoliciesReadTheOracle) {
  FakeOracle oracle;
  oracle.durations = {{1, 10 * kHour}, {2, kHour}, {3, 5 * kHour}};
  SchedulerConfig c;
  Scheduler s = Make("sjf", c, {}, {nullptr, nullptr, &oracle});
  ASSERT_TRUE(s.Submit(1, Gpus(64), 0).ok());
  ASSERT_TRUE(s.Submit(2, Gpus(64), 0).ok());
  ASSERT_TRUE(s.Submit(3, Gpus(64), 0).ok());
  std::vector<Decision> out = Pass(s, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].job, 2);  // the shortest true duration, though all estimate an hour
}

// --- why jobs wait ---

TEST_F(SchedulerTest, StrictOrderNamesTheGapAndTheJobsBehind) {
  Scheduler s = Make("fifo");
  ASSERT_TRUE(s.Submit(1, Gpus(40), 0).ok());
  PassAndConfirm(s, 0);
  ASSERT_TRUE(s.Submit(2, Gpus(32, 0, Topology::kPod), 1).ok());
  ASSERT_TRUE(s.Submit(3, Gpus(1), 2).ok());
  ASSERT_TRUE(s.Submit(4, Gpus(1), 3).ok());
  EXPECT_EQ(s.WhyPending(2)->code, WaitReason::kNone);  // no pass has seen it yet
  EXPECT_TRUE(Pass(s, 3).empty());
  // Job 1 took 40 GPUs by best fit: pod 0 whole (32) and 8 of pod 1, whose largest free pod is 24.
  const PendingReason head = *s.WhyPending(2);
  EXPECT_EQ(head.code, WaitReason::kCapacity);
  EXPECT_EQ(head.wanted, 32);
  EXPECT_EQ(head.most_free, 24);
  EXPECT_EQ(head.level, Level::kPod);
  EXPECT_EQ(DescribeReason(head, fleet_), "needs 32 GPUs in one pod; the largest free pod has 24");
  const PendingReason behind = *s.WhyPending(4);
  EXPECT_EQ(behind.code, WaitReason::kBehind);
  EXPECT_EQ(behind.blocker, 2);
  EXPECT_EQ(behind.ahead, 2);
  EXPECT_EQ(DescribeReason(behind, fleet_), "behind 2 jobs that go first (the first is job 2)");
  const auto all = s.PendingReasons();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].first, 3);
  EXPECT_EQ(all[1].second.ahead, 1);
  EXPECT_FALSE(s.WhyPending(1).has_value());  // it runs
}

TEST_F(SchedulerTest, BackfillNamesTheReservationAndWhatWouldDelayIt) {
  Scheduler s = Make("backfill");
  JobRequest long_job = Gpus(56);
  long_job.estimate = 10 * kHour;
  ASSERT_TRUE(s.Submit(1, long_job, 0).ok());
  PassAndConfirm(s, 0);
  ASSERT_TRUE(s.Submit(2, Gpus(64), 1).ok());
  JobRequest tail = Gpus(8);
  tail.estimate = 20 * kHour;
  ASSERT_TRUE(s.Submit(3, tail, 2).ok());
  EXPECT_TRUE(Pass(s, 2).empty());
  const PendingReason head = *s.WhyPending(2);
  EXPECT_EQ(head.code, WaitReason::kReserved);
  EXPECT_EQ(head.until, 10 * kHour);
  EXPECT_EQ(head.blocker, 1);
  EXPECT_EQ(s.reservation(), std::make_pair(JobId{2}, SimTime{10 * kHour}));
  const PendingReason tail_reason = *s.WhyPending(3);
  EXPECT_EQ(tail_reason.code, WaitReason::kReservation);
  EXPECT_EQ(tail_reason.blocker, 2);
  EXPECT_EQ(DescribeReason(head, fleet_),
            "reserved: starts by t=0d 10:00:00 in the fleet when job 1 ends");
}

TEST_F(SchedulerTest, PowerAndPlacementRefusalsAreTheirOwnReasons) {
  FakeAdmission admission(fleet_);
  FakeJudge judge;
  admission.refuse.insert(fleet_.Ancestor(0, Level::kSite));
  judge.refuse.insert(2);
  Scheduler s = Make("fifo", {}, {}, {&admission, &judge, nullptr});
  ASSERT_TRUE(s.Submit(1, Gpus(8), 0).ok());
  EXPECT_TRUE(Pass(s, 0).empty());
  EXPECT_EQ(s.WhyPending(1)->code, WaitReason::kPower);
  EXPECT_EQ(DescribeReason(*s.WhyPending(1), fleet_),
            "site s is at its power budget: it cannot feed 8 more GPUs");
  admission.refuse.clear();
  ASSERT_TRUE(s.Cancel(1, 1).ok());
  ASSERT_TRUE(s.Submit(2, Gpus(8), 1).ok());
  EXPECT_TRUE(Pass(s, 1).empty());
  EXPECT_EQ(s.WhyPending(2)->code, WaitReason::kPlacement);
  EXPECT_EQ(admission.started, 0);
}

TEST_F(SchedulerTest, FairshareNamesTheQuota) {
  std::vector<Tenant> tenants = {{"a", 1, 16}, {"b", 1, std::nullopt}};
  Scheduler s = Make("fairshare", {}, tenants);
  JobRequest a = Gpus(16);
  a.tenant = 0;
  ASSERT_TRUE(s.Submit(1, a, 0).ok());
  JobRequest b = Gpus(48);
  b.tenant = 1;
  ASSERT_TRUE(s.Submit(2, b, 0).ok());
  PassAndConfirm(s, 0);
  ASSERT_TRUE(s.Submit(3, a, 1).ok());
  EXPECT_TRUE(Pass(s, 1).empty());
  const PendingReason r = *s.WhyPending(3);
  EXPECT_EQ(r.code, WaitReason::kQuota);
  EXPECT_EQ(r.held, 16);
  EXPECT_EQ(r.quota, 16);
  EXPECT_EQ(DescribeReason(r, fleet_),
            "tenant quota reached: it holds 16 of its 16 GPUs, and beyond them only idle GPUs can "
            "be borrowed");
}

// --- snapshot ---

TEST_F(SchedulerTest, AnInterruptedRunKeepsItsGpusUntilReleasedThenWaitsAgain) {
  SchedulerConfig c;
  c.confirm_stops = true;
  Scheduler s = Make("fifo", c);
  ASSERT_TRUE(s.Submit(1, Gpus(16), 0).ok());
  std::vector<Decision> out = Pass(s, 0);
  ASSERT_EQ(out.size(), 1u);
  const Epoch first = out[0].epoch;
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.Interrupt(1, first + 1, 1); });
  // A part of the gang failed to start while the other runs: it stops, GPUs still held.
  ASSERT_TRUE(s.Interrupt(1, first, 1).ok());
  EXPECT_EQ(s.Find(1)->state, JobState::kStopping);
  EXPECT_EQ(s.allocated_milli(), 16 * 1000);
  ASSERT_TRUE(s.Submit(2, Gpus(64), 2).ok());
  EXPECT_TRUE(Pass(s, 2).empty());  // nothing lands on GPUs still held
  ASSERT_TRUE(s.Released(1, first, 3).ok());
  EXPECT_EQ(s.Find(1)->state, JobState::kPending);
  EXPECT_EQ(s.Find(1)->attained, 0);  // never confirmed: it never ran
  out = Pass(s, 3);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].job, 1);  // fifo: it is ahead of job 2 again
  EXPECT_GT(out[0].epoch, first);
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
}

TEST_F(SchedulerTest, ADrainedNodeTakesNoNewJobAndItsJobsRunOn) {
  Scheduler s = Make("fifo");
  ASSERT_TRUE(s.Submit(1, Gpus(64), 0).ok());
  PassAndConfirm(s, 0);
  const NodeId node = s.Find(1)->allocation.nodes.front().node;
  ASSERT_TRUE(s.DrainNode(node, 1).ok());
  EXPECT_TRUE(s.Draining(node));
  EXPECT_EQ(s.StateOf(node), NodeState::kUp);
  EXPECT_EQ(s.Find(1)->state, JobState::kRunning);  // drain stops nothing
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.DrainNode(node, 2); });
  // Job 1 ends: the fleet is empty but for the drained node, so a 64-GPU job cannot start.
  ASSERT_TRUE(s.Finish(1, s.Find(1)->epoch, 3).ok());
  ASSERT_TRUE(s.Submit(2, Gpus(64), 3).ok());
  ASSERT_TRUE(s.Submit(3, Gpus(56), 3).ok());
  EXPECT_TRUE(Pass(s, 3).empty());  // fifo: 2 is the head and blocks 3
  EXPECT_EQ(s.WhyPending(2)->code, WaitReason::kCapacity);
  // It stays drained through a failure and a repair...
  ASSERT_TRUE(s.FailNode(node, 4).ok());
  ASSERT_TRUE(s.RepairNode(node, 5).ok());
  EXPECT_TRUE(s.Draining(node));
  EXPECT_TRUE(Pass(s, 5).empty());
  // ...until it is undrained.
  ASSERT_TRUE(s.UndrainNode(node, 6).ok());
  ExpectRefusedAndUnchanged(s, ErrorCode::kFailedPrecondition,
                            [&] { return s.UndrainNode(node, 7); });
  const std::vector<Decision> out = Pass(s, 7);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].job, 2);
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
}

TEST_F(SchedulerTest, BackfillsReservationDoesNotCountOnADrainedNode) {
  // Job 1 (8 GPUs, ends at 1 h) holds node 0; job 2 (56 GPUs, ends at 5 h) the other seven nodes.
  // Node 0 drained, the 64-GPU head can start only when both are gone and node 0 is back: its
  // reservation is job 2's end only once node 0 returns; meanwhile the head waits at 5 h without
  // the 8 GPUs of node 0, which the reservation must not count - so there is none.
  Scheduler s = Make("backfill");
  JobRequest short_job = Gpus(8, 0, Topology::kNvlink);
  ASSERT_TRUE(s.Submit(1, short_job, 0).ok());
  JobRequest long_job = Gpus(56);
  long_job.estimate = 5 * kHour;
  ASSERT_TRUE(s.Submit(2, long_job, 0).ok());
  PassAndConfirm(s, 0);
  const NodeId node = s.Find(1)->allocation.nodes.front().node;
  ASSERT_TRUE(s.DrainNode(node, 1).ok());
  ASSERT_TRUE(s.Submit(3, Gpus(64), 2).ok());
  EXPECT_TRUE(Pass(s, 2).empty());
  EXPECT_EQ(s.reservation(), std::nullopt);
  // Undrained, the head is promised job 2's end (job 1 ends earlier).
  ASSERT_TRUE(s.UndrainNode(node, 3).ok());
  EXPECT_TRUE(Pass(s, 3).empty());
  EXPECT_EQ(s.reservation(), std::make_pair(JobId{3}, SimTime{5 * kHour}));
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
}

TEST_F(SchedulerTest, PreemptionDoesNotEvictJobsOnADrainedNodeForNothing) {
  // Two low-priority 8-GPU jobs on two nodes of one leaf, the rest of the fleet full; the node of
  // the first is drained. A high-priority 8-GPU job evicts the second: evicting the first would
  // free GPUs no job may take.
  Scheduler s = Make("priority");
  ASSERT_TRUE(s.Submit(1, Gpus(8, 0, Topology::kNvlink), 0).ok());
  ASSERT_TRUE(s.Submit(2, Gpus(8, 0, Topology::kNvlink), 0).ok());
  ASSERT_TRUE(s.Submit(3, Gpus(48, 9), 0).ok());
  PassAndConfirm(s, 0);
  ASSERT_EQ(s.Find(3)->state, JobState::kRunning);
  ASSERT_TRUE(s.DrainNode(s.Find(1)->allocation.nodes.front().node, 1).ok());
  ASSERT_TRUE(s.Submit(4, Gpus(8, 5), 2).ok());
  const std::vector<Decision> out = Pass(s, 2);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].kind, Decision::Kind::kPreempt);
  EXPECT_EQ(out[0].job, 2);
  EXPECT_EQ(out[1].job, 4);
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
}

TEST_F(SchedulerTest, DrainsSurviveASnapshotAndRunsAreAdoptedOnDrainedNodes) {
  SchedulerConfig c;
  c.nodes_present = false;
  Scheduler s = Make("backfill", c);
  for (NodeId n = 0; n < 8; ++n) ASSERT_TRUE(s.RegisterNode(n, 0).ok());
  ASSERT_TRUE(s.DrainNode(3, 0).ok());
  ASSERT_TRUE(s.DrainNode(7, 0).ok());  // drained before it registers again, as after a restart
  ASSERT_TRUE(s.RemoveNode(7, 0).ok());
  // A run from before a restart, on the drained node, goes on.
  Allocation a;
  a.model = fleet_.NodeModel(3);
  a.nodes.push_back({3, 0xFF});
  ASSERT_TRUE(s.Adopt(1, Gpus(8), a, 0, 1).ok()) << s.Adopt(1, Gpus(8), a, 0, 1).message();
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
  Scheduler t = Make("backfill", c);
  ASSERT_TRUE(t.Restore(s.Snapshot()).ok());
  EXPECT_TRUE(t.Draining(3));
  EXPECT_TRUE(t.Draining(7));
  EXPECT_FALSE(t.Draining(0));
  EXPECT_EQ(t.Find(1)->state, JobState::kRunning);
  EXPECT_EQ(t.Snapshot(), s.Snapshot());
  // Nothing new lands on node 3: 56 GPUs is the fleet less nodes 3 and 7 and job 1.
  ASSERT_TRUE(t.Submit(2, Gpus(48), 2).ok());
  ASSERT_TRUE(t.Submit(3, Gpus(8), 2).ok());
  const std::vector<Decision> out = PassAndConfirm(t, 2);
  ASSERT_EQ(out.size(), 1u);
  for (const NodeGpus& ng : out[0].allocation.nodes) EXPECT_NE(ng.node, 3);
  EXPECT_EQ(t.CheckInvariants().value_or(""), "");
}

TEST_F(SchedulerTest, SnapshotRefusesAnotherConfigurationAndCorruptInput) {
  Scheduler s = Make("las");
  ASSERT_TRUE(s.Submit(1, Gpus(8), 0).ok());
  PassAndConfirm(s, 0);
  const std::string snap = s.Snapshot();
  Scheduler fifo = Make("fifo");
  EXPECT_EQ(fifo.Restore(snap).code(), ErrorCode::kFailedPrecondition);
  Scheduler las = Make("las");
  EXPECT_EQ(las.Restore(snap.substr(0, snap.size() / 2)).code(), ErrorCode::kDataLoss);
  EXPECT_EQ(las.Restore("not a snapshot").code(), ErrorCode::kDataLoss);
  EXPECT_EQ(las.Restore(snap + "junk").code(), ErrorCode::kDataLoss);
  EXPECT_EQ(las.live_jobs(), 0u);  // a failed restore changes nothing
  ASSERT_TRUE(las.Restore(snap).ok());
  EXPECT_EQ(las.Snapshot(), snap);
  EXPECT_EQ(las.Find(1)->state, JobState::kRunning);
}

TEST_F(SchedulerTest, EveryByteFlippedSnapshotIsRefusedOrSound) {
  // Corrupting any one byte either makes Restore refuse the snapshot or yields a scheduler whose
  // invariants hold - never a crash.
  Scheduler s = Make("backfill");
  for (JobId id = 0; id < 6; ++id)
    ASSERT_TRUE(s.Submit(id, Gpus(static_cast<int>(8 * (id + 1))), id).ok());
  PassAndConfirm(s, 6);
  ASSERT_TRUE(s.FailNode(5, 7).ok());
  const std::string snap = s.Snapshot();
  for (size_t i = 0; i < snap.size(); ++i) {
    std::string bad = snap;
    bad[i] = static_cast<char>(bad[i] ^ 0x5A);
    Scheduler t = Make("backfill");
    if (t.Restore(bad).ok()) {
      EXPECT_EQ(t.CheckInvariants().value_or(""), "") << "byte " << i;
    }
  }
}

}  // namespace
}  // namespace gpufleet
