// Regressions found by an independent review of the rewritten scheduler core, each with the
// behaviour the contract promises (sched/scheduler.h, docs/ARCHITECTURE.md "The scheduler"), and
// a random-call property (ids reused, cancelled jobs
// released later in any order, a snapshot round trip after every call). Each block names the
// defect it was found with; all are fixed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>

#include "sched/scheduler.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

#define CALL_OK(expr)                                                  \
  do {                                                                 \
    const Status call_st_ = (expr);                                    \
    ASSERT_TRUE(call_st_.ok()) << #expr << ": " << call_st_.message(); \
  } while (0)

// 2 pods x 2 leaves x 2 DGX H100: 8 nodes of 8 GPUs (64 GPUs).
Fleet SmallFleet() { return testing::MustParseFleet(testing::DgxFleetYaml(2, 2, 2)); }

JobRequest Gpus(int n, int priority = 0, SimTime estimate = kHour) {
  JobRequest r;
  r.gpus = n;
  r.priority = priority;
  r.estimate = estimate;
  return r;
}

std::string Describe(const std::vector<Decision>& out) {
  std::string s;
  for (const Decision& d : out) {
    s += (d.kind == Decision::Kind::kStart ? "start " : "preempt ") + std::to_string(d.job) + "/" +
         std::to_string(d.epoch) + "; ";
  }
  return s.empty() ? "(none)" : s;
}

size_t Count(const std::vector<Decision>& out, Decision::Kind kind) {
  size_t n = 0;
  for (const Decision& d : out) n += d.kind == kind ? 1 : 0;
  return n;
}

const Decision* Of(const std::vector<Decision>& out, JobId id) {
  for (const Decision& d : out)
    if (d.job == id) return &d;
  return nullptr;
}

class SchedulerRegression : public ::testing::Test {
 protected:
  Scheduler Make(const std::string& policy, SchedulerConfig config = {},
                 std::vector<Tenant> tenants = {}) {
    config.policy = policy;
    Result<Scheduler> s = Scheduler::Create(fleet_, config, std::move(tenants));
    EXPECT_TRUE(s.ok()) << s.message();
    return std::move(s).value();
  }
  std::vector<Decision> Pass(Scheduler& s, SimTime now) {
    std::vector<Decision> out;
    EXPECT_TRUE(s.Schedule(now, out).ok());
    EXPECT_EQ(s.CheckInvariants().value_or(""), "");
    return out;
  }
  std::vector<Decision> PassAndConfirm(Scheduler& s, SimTime now) {
    std::vector<Decision> out = Pass(s, now);
    for (const Decision& d : out) {
      if (d.kind == Decision::Kind::kStart) {
        EXPECT_TRUE(s.ConfirmStart(d.job, d.epoch, now).ok());
      }
    }
    return out;
  }
  Fleet fleet_ = SmallFleet();
};

// ---------------------------------------------------------------------------------------------
// F1. priority + confirm_stops: Cancel of a *starting* job moves its run_start (scheduler.cc
// Cancel) after the priority policy keyed it in its victim set by the old run_start; OnStopping
// then erases a key that is not there, leaving a stale {priority, -run_start, id, slot} entry.
// When the slot is reused by a higher-priority job, a lower-priority head evicts it.
TEST_F(SchedulerRegression, PriorityCancelWhileStartingLetsAHeadPreemptAHigherPriorityJob) {
  SchedulerConfig c;
  c.confirm_stops = true;
  Scheduler s = Make("priority", c);
  CALL_OK(s.Submit(1, Gpus(8, 0), 0));
  std::vector<Decision> out = Pass(s, 0);  // job 1 starting in slot 0, never confirmed
  ASSERT_EQ(out.size(), 1u);
  CALL_OK(s.Cancel(1, 5));  // starting -> stopping
  CALL_OK(s.Released(1, out[0].epoch, 6));
  ASSERT_FALSE(s.Find(1));
  // A restarted daemon's scheduler, restored here, has no stale entry (OnRestored rebuilds the
  // victim set from the running list): the two then decide differently.
  Scheduler restored = Make("priority", c);
  CALL_OK(restored.Restore(s.Snapshot()));
  std::map<Scheduler*, std::string> decided;
  for (Scheduler* x : {&s, &restored}) {
    // Slot 0 goes to a priority-9 job; another priority-9 job fills the rest of the fleet.
    CALL_OK(x->Submit(2, Gpus(8, 9), 7));
    CALL_OK(x->Submit(3, Gpus(56, 9), 7));
    out = PassAndConfirm(*x, 7);
    ASSERT_EQ(Count(out, Decision::Kind::kStart), 2u);
    // A priority-5 head: nothing running has a lower priority, so nothing may be preempted.
    CALL_OK(x->Submit(4, Gpus(8, 5), 10));
    decided[x] = Describe(Pass(*x, 10));
  }
  EXPECT_EQ(decided[&s], "(none)") << "a priority-5 head preempted a priority-9 job";
  EXPECT_EQ(decided[&s], decided[&restored]) << "original and restored scheduler disagree";
}

// The same with the slot reused by a job of the same (low) priority as the stale key: the victim
// set then lists the slot twice, PreemptFor counts its GPUs twice and releases its allocation
// twice (capacity_index.cc Release asserts in Debug builds; in Release the second release is
// silently absorbed).
TEST_F(SchedulerRegression, PriorityCancelWhileStartingListsAVictimTwice) {
  SchedulerConfig c;
  c.confirm_stops = true;
  Scheduler s = Make("priority", c);
  CALL_OK(s.Submit(1, Gpus(8, 0), 0));
  std::vector<Decision> out = Pass(s, 0);
  CALL_OK(s.Cancel(1, 5));
  CALL_OK(s.Released(1, out[0].epoch, 6));
  CALL_OK(s.Submit(2, Gpus(8, 0), 7));   // slot 0 again, priority 0: listed twice as a victim
  CALL_OK(s.Submit(3, Gpus(48, 9), 7));  // 8 GPUs stay free
  out = PassAndConfirm(s, 7);
  ASSERT_EQ(Count(out, Decision::Kind::kStart), 2u);
  // Needs 24: 8 free + job 2's 8 is 16 - not enough; job 2 counted twice makes 24.
  CALL_OK(s.Submit(4, Gpus(24, 5), 10));
  out = Pass(s, 10);  // Debug: assertion in CapacityIndex::Release aborts here
  EXPECT_EQ(out.size(), 0u) << Describe(out);
  EXPECT_EQ(s.CheckInvariants().value_or(""), "");
}

// ---------------------------------------------------------------------------------------------
// F2. A victim's `stopping_for` names its head by id only (core.cc StopJob). When the head starts
// elsewhere, fails to start and preempts a second set of victims, the first set's releases count
// against the second preemption: the head stops waiting for victims that still hold their GPUs
// and preempts more.
TEST_F(SchedulerRegression, PriorityHeadPreemptsMoreWhileItsVictimsStillStop) {
  SchedulerConfig c;
  c.confirm_stops = true;
  Scheduler s = Make("priority", c);
  for (JobId id = 1; id <= 6; ++id) CALL_OK(s.Submit(id, Gpus(8, 0), 0));  // L1..L6
  CALL_OK(s.Submit(7, Gpus(16, 9), 0));                                    // X
  PassAndConfirm(s, 0);
  CALL_OK(s.Submit(10, Gpus(16, 5), 10));  // head H
  std::vector<Decision> out = Pass(s, 10);
  ASSERT_EQ(Count(out, Decision::Kind::kPreempt), 2u) << Describe(out);
  std::map<JobId, Epoch> first;
  for (const Decision& d : out) first[d.job] = d.epoch;  // L1, L2
  ASSERT_TRUE(first.count(1) && first.count(2)) << Describe(out);

  CALL_OK(s.Finish(7, 1, 11));  // X ends: H starts there instead
  out = Pass(s, 11);
  const Decision* h = Of(out, 10);
  ASSERT_TRUE(h != nullptr) << Describe(out);
  CALL_OK(s.StartFailed(10, h->epoch, 12));  // ... and its start fails
  CALL_OK(s.Submit(11, Gpus(16, 9), 12));    // Y takes X's GPUs first
  out = PassAndConfirm(s, 12);
  ASSERT_EQ(Count(out, Decision::Kind::kPreempt), 2u) << Describe(out);  // L3, L4 for H
  ASSERT_EQ(s.WhyPending(10)->ahead, 2);

  // L1 and L2 (preempted for H's first attempt) let go. L3 and L4 still hold their GPUs.
  CALL_OK(s.Released(1, first[1], 13));
  CALL_OK(s.Released(2, first[2], 13));
  EXPECT_EQ(s.Find(3)->state, JobState::kStopping);
  EXPECT_EQ(s.Find(4)->state, JobState::kStopping);
  const std::optional<PendingReason> why = s.WhyPending(10);
  EXPECT_EQ(why->code, WaitReason::kPreempting);
  EXPECT_EQ(why->ahead, 2) << "H no longer counts L3 and L4, which still stop for it: "
                           << DescribeReason(*why, fleet_);

  CALL_OK(s.Submit(12, Gpus(16, 9), 13));  // Z takes the GPUs L1 and L2 freed
  out = Pass(s, 13);
  EXPECT_EQ(Count(out, Decision::Kind::kPreempt), 0u)
      << "H preempted again while L3 and L4 still stop for it: " << Describe(out);
}

// Same root cause with an id reused after the head was cancelled (ids are the driver's; the
// contract names "ids reused after a job ended").
TEST_F(SchedulerRegression, PriorityReusedHeadIdInheritsTheOldHeadsVictims) {
  SchedulerConfig c;
  c.confirm_stops = true;
  Scheduler s = Make("priority", c);
  for (JobId id = 1; id <= 4; ++id) CALL_OK(s.Submit(id, Gpus(16, 0), 0));
  PassAndConfirm(s, 0);
  CALL_OK(s.Submit(10, Gpus(16, 5), 10));
  std::vector<Decision> out = Pass(s, 10);
  ASSERT_EQ(Count(out, Decision::Kind::kPreempt), 1u) << Describe(out);
  const Decision first = out[0];  // L1
  CALL_OK(s.Cancel(10, 11));
  EXPECT_TRUE(Pass(s, 11).empty());
  CALL_OK(s.Submit(10, Gpus(16, 5), 11));  // the id comes back for a new job
  out = Pass(s, 11);
  ASSERT_EQ(Count(out, Decision::Kind::kPreempt), 1u) << Describe(out);  // L2 for the new job
  CALL_OK(s.Released(first.job, first.epoch, 12));  // the old job's victim lets go
  EXPECT_EQ(s.WhyPending(10)->ahead, 1) << "the new job 10 stopped waiting for its own victim";
  CALL_OK(s.Submit(11, Gpus(16, 9), 12));
  out = Pass(s, 12);
  EXPECT_EQ(Count(out, Decision::Kind::kPreempt), 0u)
      << "new job 10 preempted again while its victim still stops: " << Describe(out);
}

// ---------------------------------------------------------------------------------------------
// F3. las (and srtf, fairshare): a head waiting for several victims does not keep the GPUs that
// the first victims release; the released victim itself (or any job) takes them in the next
// pass, so when the last victim lets go the head still does not fit and preempts again - a
// ping-pong. Contract: "a head waiting for its victims ... must start once they are released".
TEST_F(SchedulerRegression, LasReleasedVictimRetakesTheGpusItsHeadWaitsFor) {
  SchedulerConfig c;
  c.confirm_stops = true;
  c.las_thresholds = {1000};  // GPU-ms
  Scheduler s = Make("las", c);
  for (JobId id = 1; id <= 8; ++id) CALL_OK(s.Submit(id, Gpus(8), 0));
  PassAndConfirm(s, 0);
  CALL_OK(s.Submit(100, Gpus(16), 1000));  // queue 0; every running job is in queue 1
  std::vector<Decision> out = Pass(s, 1000);
  ASSERT_EQ(Count(out, Decision::Kind::kPreempt), 2u) << Describe(out);
  const Decision v1 = out[0], v2 = out[1];

  CALL_OK(s.Released(v1.job, v1.epoch, 1001));
  out = PassAndConfirm(s, 1001);
  EXPECT_EQ(Of(out, v1.job), nullptr)
      << "the released victim restarted on the GPUs its head waits for: " << Describe(out);

  CALL_OK(s.Released(v2.job, v2.epoch, 1002));
  out = PassAndConfirm(s, 1002);
  const Decision* head = Of(out, 100);
  EXPECT_TRUE(head != nullptr && head->kind == Decision::Kind::kStart)
      << "both victims released, yet the head did not start: " << Describe(out);
  EXPECT_EQ(Count(out, Decision::Kind::kPreempt), 0u) << Describe(out);
}

TEST_F(SchedulerRegression, FairshareReleasedVictimRetakesTheGpusItsReclaimerWaitsFor) {
  SchedulerConfig c;
  c.confirm_stops = true;
  Scheduler s = Make("fairshare", c, {{"a", 1, 16}, {"b", 1, std::nullopt}});
  for (JobId id = 1; id <= 8; ++id) {
    JobRequest r = Gpus(8);
    r.tenant = 1;
    CALL_OK(s.Submit(id, r, 0));
  }
  PassAndConfirm(s, 0);
  CALL_OK(s.Submit(100, Gpus(16), 10));  // tenant a, within its quota: reclaims
  std::vector<Decision> out = Pass(s, 10);
  ASSERT_EQ(Count(out, Decision::Kind::kPreempt), 2u) << Describe(out);
  const Decision v1 = out[0], v2 = out[1];
  CALL_OK(s.Released(v1.job, v1.epoch, 11));
  out = PassAndConfirm(s, 11);
  EXPECT_EQ(Of(out, v1.job), nullptr)
      << "the released victim restarted on the GPUs its reclaimer waits for: " << Describe(out);
  CALL_OK(s.Released(v2.job, v2.epoch, 12));
  out = PassAndConfirm(s, 12);
  const Decision* head = Of(out, 100);
  EXPECT_TRUE(head != nullptr && head->kind == Decision::Kind::kStart) << Describe(out);
  EXPECT_EQ(Count(out, Decision::Kind::kPreempt), 0u) << Describe(out);
}

// ---------------------------------------------------------------------------------------------
// F4. Pass skipping keyed by the head's *id*: an id cancelled and submitted again for another
// request between two passes is taken for the same head. Strict policies skip the pass
// (policy_strict.h), backfill reuses the old job's reservation (policy_backfill.cc Pass).
TEST_F(SchedulerRegression, FifoSkipsThePassWhenTheHeadIdIsReusedForAJobThatFits) {
  Scheduler s = Make("fifo");
  CALL_OK(s.Submit(1, Gpus(56), 0));
  PassAndConfirm(s, 0);
  CALL_OK(s.Submit(10, Gpus(16), 1));
  EXPECT_TRUE(Pass(s, 1).empty());
  CALL_OK(s.Cancel(10, 2));
  CALL_OK(s.Submit(10, Gpus(8), 2));  // fits the 8 free GPUs
  std::vector<Decision> out = Pass(s, 2);
  EXPECT_EQ(out.size(), 1u) << "job 10 (8 GPUs, 8 free) did not start: " << Describe(out);
  // With a fresh id it does.
  Scheduler t = Make("fifo");
  CALL_OK(t.Submit(1, Gpus(56), 0));
  PassAndConfirm(t, 0);
  CALL_OK(t.Submit(10, Gpus(16), 1));
  Pass(t, 1);
  CALL_OK(t.Cancel(10, 2));
  CALL_OK(t.Submit(11, Gpus(8), 2));
  EXPECT_EQ(Pass(t, 2).size(), 1u);
}

TEST_F(SchedulerRegression, BackfillReusesAStaleReservationWhenTheHeadIdIsReused) {
  Scheduler s = Make("backfill");
  CALL_OK(s.Submit(1, Gpus(32, 0, kHour), 0));
  CALL_OK(s.Submit(2, Gpus(24, 0, 2 * kHour), 0));
  PassAndConfirm(s, 0);                          // 8 GPUs free
  CALL_OK(s.Submit(10, Gpus(16, 0, kHour), 1));  // reserved for t=1h (job 1 ends)
  Pass(s, 1);
  ASSERT_EQ(s.reservation()->second, kHour);
  CALL_OK(s.Cancel(10, 2));
  CALL_OK(s.Submit(10, Gpus(64, 0, kHour), 2));     // now needs the whole fleet: t=2h
  CALL_OK(s.Submit(11, Gpus(8, 0, 3 * kHour), 2));  // would run past 2h on GPUs the head needs
  std::vector<Decision> out = Pass(s, 2);
  EXPECT_EQ(s.reservation()->second, 2 * kHour) << "the old 16-GPU job's reservation was kept";
  EXPECT_EQ(Of(out, 11), nullptr) << "job 11 was backfilled and delays the head: " << Describe(out);
}

// ---------------------------------------------------------------------------------------------
// F5. A confirmation makes a job evictable but is not "something changed" for the pass-skipping
// checks: a head that found no victim while its victim was starting never preempts it, until
// unrelated capacity changes (priority; fairshare likewise). With --launch-delay every start is
// unconfirmed for a while.
TEST_F(SchedulerRegression, PriorityHeadNeverPreemptsAJobConfirmedAfterItBlocked) {
  Scheduler s = Make("priority");
  CALL_OK(s.Submit(1, Gpus(64, 0), 0));
  std::vector<Decision> out = Pass(s, 0);  // job 1 starting (launching)
  CALL_OK(s.Submit(2, Gpus(8, 5), 5));
  EXPECT_TRUE(Pass(s, 5).empty());  // job 1 is not yet a victim: it does not run
  CALL_OK(s.ConfirmStart(1, out[0].epoch, 10));
  out = Pass(s, 11);
  EXPECT_EQ(Count(out, Decision::Kind::kPreempt), 1u)
      << "the priority-5 head did not preempt the priority-0 job now running: " << Describe(out);
}

class MapOracle : public DurationOracle {
 public:
  SimTime TrueDuration(JobId id) const override { return durations.at(id); }
  std::map<JobId, SimTime> durations;
};

TEST_F(SchedulerRegression, SrtfHeadNeverPreemptsAJobConfirmedAfterItBlocked) {
  MapOracle oracle;
  oracle.durations = {{1, 100 * kHour}, {2, kMinute}};
  SchedulerConfig c;
  c.policy = "srtf";
  Scheduler s = Scheduler::Create(fleet_, c, {}, {nullptr, nullptr, &oracle}).value();
  CALL_OK(s.Submit(1, Gpus(64), 0));
  std::vector<Decision> out = Pass(s, 0);  // job 1 (100 h) starting
  CALL_OK(s.Submit(2, Gpus(8), 5));        // 1 minute: ranks far above job 1
  EXPECT_TRUE(Pass(s, 5).empty());
  CALL_OK(s.ConfirmStart(1, out[0].epoch, 10));
  EXPECT_EQ(s.NextWakeup(10), kNever);  // and no wake-up is asked for
  out = Pass(s, 11);
  EXPECT_EQ(Count(out, Decision::Kind::kPreempt), 1u) << Describe(out);
}

TEST_F(SchedulerRegression, FairshareReclaimNeverHappensForAJobConfirmedAfterTheHeadBlocked) {
  Scheduler s = Make("fairshare", {}, {{"a", 1, 16}, {"b", 1, std::nullopt}});
  JobRequest b64 = Gpus(64);
  b64.tenant = 1;
  CALL_OK(s.Submit(1, b64, 0));
  std::vector<Decision> out = Pass(s, 0);  // tenant b borrows the whole fleet; starting
  CALL_OK(s.Submit(2, Gpus(16), 5));       // tenant a, within its quota
  EXPECT_TRUE(Pass(s, 5).empty());         // job 1 is not yet evictable
  CALL_OK(s.ConfirmStart(1, out[0].epoch, 10));
  out = Pass(s, 11);
  EXPECT_EQ(Count(out, Decision::Kind::kPreempt), 1u)
      << "tenant a never reclaims its quota: " << Describe(out);
}

// ---------------------------------------------------------------------------------------------
// F6. Times, estimates and attained times past 2^60 ms are refused: they overflowed a time plus a
// duration (signed overflow: UB) or GPUs times a duration; what is accepted can be restored.
TEST_F(SchedulerRegression, TimesPastTheLimitAreRefusedAndChangeNothing) {
  Scheduler s = Make("backfill");
  const std::string before = s.Snapshot();
  EXPECT_EQ(s.Submit(1, Gpus(64, 0, std::numeric_limits<SimTime>::max()), 1).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.Submit(1, Gpus(64), kLatestTime + 1).code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(s.Tick(std::numeric_limits<SimTime>::max()).code(), ErrorCode::kOutOfRange);
  EXPECT_TRUE(s.Snapshot() == before);
}

TEST_F(SchedulerRegression, TheLargestAcceptedValuesRestore) {
  Scheduler s = Make("backfill");
  CALL_OK(s.Submit(1, Gpus(8, 0, kLatestTime), kLatestTime));
  PassAndConfirm(s, kLatestTime);  // est_end = 2^61
  Scheduler t = Make("backfill");
  const Status st = t.Restore(s.Snapshot());
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST_F(SchedulerRegression, LasServiceSaturatesInsteadOfWrapping) {
  Scheduler s = Make("las");
  CALL_OK(s.Submit(1, Gpus(16), 0));
  CALL_OK(s.Submit(2, Gpus(1), 1));
  EXPECT_EQ(s.SetAttained(1, SimTime{1} << 62).code(), ErrorCode::kInvalidArgument);
  // 16 GPUs x 2^60 ms passes 2^63: the service saturates, the job ranks last.
  CALL_OK(s.SetAttained(1, kLatestTime));
  const auto reasons = s.PendingReasons();
  ASSERT_EQ(reasons.size(), 2u);
  EXPECT_EQ(reasons[0].first, 2);
}

// Corrupt snapshots that Restore accepts and that then overflow (UB, seen by UBSan).
TEST_F(SchedulerRegression, CorruptLasPromotionBaseIsAccepted) {
  Scheduler s = Make("las");
  CALL_OK(s.Submit(1, Gpus(2), 0));
  std::string snap = s.Snapshot();
  // The last 8 bytes are the promotion base of slot 0 (policy_las.cc Save).
  const std::uint64_t bad = std::uint64_t{1} << 63;  // INT64_MIN
  std::memcpy(snap.data() + snap.size() - 8, &bad, 8);
  Scheduler t = Make("las");
  const Status st = t.Restore(snap);  // KeyOf -> Service: 0 - INT64_MIN (UBSan)
  EXPECT_FALSE(st.ok()) << "a promotion base of INT64_MIN was accepted";
}

TEST_F(SchedulerRegression, CorruptFairshareClockIsAccepted) {
  Scheduler s = Make("fairshare");
  CALL_OK(s.Submit(1, Gpus(2), 0));
  std::string snap = s.Snapshot();
  // The policy's part ends with: usage_updated_ (8 bytes), tenant count (8), usage (8 per tenant).
  const std::uint64_t bad = std::uint64_t{1} << 63;  // INT64_MIN
  std::memcpy(snap.data() + snap.size() - 24, &bad, 8);
  Scheduler t = Make("fairshare");
  const Status st = t.Restore(snap);
  EXPECT_FALSE(st.ok()) << "a fairshare clock of INT64_MIN was accepted";
  if (st.ok()) {
    std::vector<Decision> out;
    (void)t.Schedule(0, out);  // UpdateUsage: 0 - INT64_MIN (UBSan)
  }
}

// Found by fuzz/fuzz_snapshot: the policies' own restore errors began "snapshot: ", not "scheduler
// snapshot: " as the core's do, so the message did not say what it was about.
TEST_F(SchedulerRegression, PolicyRestoreErrorsNameTheSchedulerSnapshot) {
  for (const char* policy : {"las", "fairshare"}) {
    SCOPED_TRACE(policy);
    Scheduler s = Make(policy, {}, {Tenant{"a", 1, std::nullopt}});
    CALL_OK(s.Submit(1, Gpus(2), 0));
    std::string snap = s.Snapshot();
    // Both end with a count (8 bytes) and one 8-byte value per slot or tenant (policy_las.cc and
    // policy_fairshare.cc Save): claim two where there is one.
    snap[snap.size() - 16] = 2;
    Scheduler t = Make(policy, {}, {Tenant{"a", 1, std::nullopt}});
    const Status st = t.Restore(snap);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.message().rfind("scheduler snapshot: ", 0), 0u) << st.message();
    EXPECT_EQ(st.code(), ErrorCode::kDataLoss);
  }
}

// ---------------------------------------------------------------------------------------------
// F7. A refused (kUnsatisfiable) Submit changes the state: it advances the scheduler's clock.
TEST_F(SchedulerRegression, UnsatisfiableSubmitChangesTheSnapshot) {
  Scheduler s = Make("fifo");
  CALL_OK(s.Submit(1, Gpus(8), 0));
  const std::string before = s.Snapshot();
  const Status st = s.Submit(2, Gpus(65), 100);
  ASSERT_EQ(st.code(), ErrorCode::kUnsatisfiable);
  EXPECT_TRUE(s.Snapshot() == before) << "a refused Submit changed the snapshot (last_now)";
  EXPECT_TRUE(s.Tick(50).ok()) << "time 50 is refused although no accepted call came after 0";
}

// ---------------------------------------------------------------------------------------------
// F8. Finish carries no epoch: a late completion report of an earlier run ends the current run.
TEST_F(SchedulerRegression, AStaleFinishEndsTheCurrentRun) {
  Scheduler s = Make("priority");
  CALL_OK(s.Submit(1, Gpus(64, 0), 0));
  PassAndConfirm(s, 0);                   // job 1, run 1
  CALL_OK(s.Submit(2, Gpus(64, 5), 10));  // preempts it
  PassAndConfirm(s, 10);
  CALL_OK(s.Finish(2, 1, 20));
  std::vector<Decision> out = PassAndConfirm(s, 20);  // job 1, run 2
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].epoch, 2u);
  // The agent's "job 1 finished" about run 1, delayed in the network, arrives now.
  const Status st = s.Finish(1, 1, 21);
  EXPECT_FALSE(st.ok()) << "a finish of run 1 ended run 2; the API cannot fence it (no epoch)";
}

// ---------------------------------------------------------------------------------------------
// F9. Reasons (cosmetic).
TEST_F(SchedulerRegression, AfterItsVictimsLetGoTheHeadStartsAtTheNextPass) {
  SchedulerConfig c;
  c.confirm_stops = true;
  Scheduler s = Make("priority", c);
  CALL_OK(s.Submit(1, Gpus(64, 0), 0));
  PassAndConfirm(s, 0);
  CALL_OK(s.Submit(2, Gpus(8, 5), 10));
  std::vector<Decision> out = Pass(s, 10);
  CALL_OK(s.Released(1, out[0].epoch, 40));
  const PendingReason why = *s.WhyPending(2);
  EXPECT_EQ(DescribeReason(why, fleet_),
            "the jobs it preempted let go of their GPUs: it starts at the next pass");
  out = Pass(s, 40);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].job, 2);
  EXPECT_EQ(out[0].allocation.Gpus(), 8);
}

TEST_F(SchedulerRegression, InterruptedJobIsBehindItself) {
  Scheduler s = Make("fifo");
  CALL_OK(s.Submit(1, Gpus(8), 0));
  std::vector<Decision> out = PassAndConfirm(s, 0);
  CALL_OK(s.FailNode(out[0].allocation.nodes.front().node, 5).status());
  const PendingReason why = *s.WhyPending(1);
  EXPECT_FALSE(why.code == WaitReason::kBehind && why.blocker == 1) << DescribeReason(why, fleet_);
}

// ---------------------------------------------------------------------------------------------
// F10. A reused slot keeps the previous job's reason numbers (core.cc NewSlot/FreeSlot do not
// reset reason_details[s]); Snapshot writes them for the new job, but a scheduler restored while
// the slot was free has none: original and restored snapshots differ byte for byte from then on
// (the bundled property test asserts they are equal).
TEST_F(SchedulerRegression, ReusedSlotKeepsTheOldJobsReasonSoRestoredSnapshotsDiffer) {
  Scheduler s = Make("fairshare", {}, {{"a", 1, 16}, {"b", 1, std::nullopt}});
  JobRequest b64 = Gpus(64);
  b64.tenant = 1;
  CALL_OK(s.Submit(1, b64, 0));
  PassAndConfirm(s, 0);
  CALL_OK(s.Submit(2, Gpus(32), 1));  // tenant a, beyond its quota of 16: kQuota, with numbers
  Pass(s, 1);
  ASSERT_EQ(s.WhyPending(2)->code, WaitReason::kQuota);
  CALL_OK(s.Cancel(2, 2));  // slot 1 free
  Scheduler t = Make("fairshare", {}, {{"a", 1, 16}, {"b", 1, std::nullopt}});
  CALL_OK(t.Restore(s.Snapshot()));
  ASSERT_TRUE(t.Snapshot() == s.Snapshot());
  JobRequest b8 = Gpus(8);
  b8.tenant = 1;
  for (Scheduler* x : {&s, &t}) CALL_OK(x->Submit(3, b8, 3));  // slot 1 again
  EXPECT_TRUE(t.Snapshot() == s.Snapshot())
      << "the original snapshot carries job 2's kQuota numbers in job 3's record";
}

}  // namespace
}  // namespace gpufleet

// ---------------------------------------------------------------------------------------------
// Properties of the scheduler driven directly by random calls - valid, late, duplicated and
// plain wrong ones, as a network delivers them - under every policy, with and without two-phase
// stops and absent nodes: cancelled jobs that hold GPUs are released later (in any order, at any
// time), ended ids are reused, times advance by single milliseconds as well as minutes, and every
// call is followed by a snapshot round trip. Checks: a refused call changes nothing (the snapshot
// is the same byte for byte); every call leaves the invariants whole (the policies' own sets
// included); Restore(Snapshot()) reproduces the snapshot; a scheduler restored at a random point
// answers every later call as the original; under priority, nothing is preempted for a head of no
// higher priority.

#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace gpufleet {
namespace {

class RegressionOracle : public DurationOracle {
 public:
  SimTime TrueDuration(JobId id) const override { return (id * 7919 % 97 + 1) * kMinute; }
};

struct ROp {
  int kind = 0;
  int a = 0, b = 0, c = 0;
};
void showValue(const ROp& op, std::ostream& os) {
  os << "{" << op.kind << "," << op.a << "," << op.b << "," << op.c << "}";
}

struct RDriver {
  JobId next_id = 0;
  SimTime now = 0;
  std::vector<JobId> submitted;  // every id ever submitted (live or not)
  std::map<JobId, int> priority;
  std::vector<std::pair<JobId, Epoch>> starting, running, stopping;
};

template <typename T>
T TakeAt(std::vector<T>& v, int i) {
  const size_t at = static_cast<size_t>(i) % v.size();
  T x = v[at];
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(at));
  return x;
}

void Resync(Scheduler& s, RDriver& d) {
  for (auto* list : {&d.starting, &d.running, &d.stopping}) {
    std::erase_if(*list, [&](const auto& p) {
      const std::optional<JobView> v = s.Find(p.first);
      return !v || v->epoch != p.second || v->state == JobState::kPending;
    });
  }
  std::erase_if(d.starting,
                [&](const auto& p) { return s.Find(p.first)->state != JobState::kStarting; });
  std::erase_if(d.running,
                [&](const auto& p) { return s.Find(p.first)->state != JobState::kRunning; });
}

void RApply(Scheduler& s, RDriver& d, const ROp& op, std::string& transcript,
            const std::string& policy) {
  const std::string before = s.Snapshot();
  Status st;
  const int nodes = s.fleet().num_nodes();
  switch (op.kind) {
    case 0: {
      JobRequest r;
      r.gpus = std::vector<int>{1, 2, 4, 8, 8, 16, 24, 32}[static_cast<size_t>(op.a % 8)];
      r.priority = op.b % 4;
      r.topology = static_cast<Topology>(op.c % 5);
      r.estimate = (op.a % 5) * 10 * kMinute;
      r.tenant = op.c % 3 == 2 ? 1 : 0;
      JobId id = d.next_id;
      if (op.b % 5 == 0 && !d.submitted.empty()) {
        id = d.submitted[static_cast<size_t>(op.c) % d.submitted.size()];  // reuse (or duplicate)
      } else {
        ++d.next_id;
      }
      st = s.Submit(id, r, d.now);
      if (st.ok()) {
        d.submitted.push_back(id);
        d.priority[id] = r.priority;
      }
      break;
    }
    case 1: {
      d.now += op.a % 3 == 0 ? op.b % 3 : op.a % 4 * kMinute;
      int top = -1;  // the highest priority waiting before the pass
      for (const auto& [id, why] : s.PendingReasons()) top = std::max(top, d.priority[id]);
      std::vector<Decision> out;
      st = s.Schedule(d.now, out);
      RC_LOG() << "pass@" << d.now << " top=" << top << ": " << Describe(out) << "\n";
      for (const Decision& dec : out) {
        transcript += (dec.kind == Decision::Kind::kStart ? " start " : " preempt ") +
                      std::to_string(dec.job) + "/" + std::to_string(dec.epoch) + "@" +
                      std::to_string(dec.allocation.nodes.front().node);
        if (dec.kind == Decision::Kind::kStart) {
          d.starting.emplace_back(dec.job, dec.epoch);
        } else {
          if (policy == "priority") {
            RC_ASSERT(d.priority[dec.job] < top);  // a victim ranks below some waiting job
          }
          for (auto* list : {&d.running, &d.starting}) {
            std::erase_if(*list, [&](const auto& p) { return p.first == dec.job; });
          }
          if (s.Find(dec.job) && s.Find(dec.job)->state == JobState::kStopping)
            d.stopping.emplace_back(dec.job, dec.epoch);
        }
      }
      break;
    }
    case 2:
      if (d.starting.empty()) return;
      {
        auto [id, epoch] = TakeAt(d.starting, op.a);
        st = s.ConfirmStart(id, epoch + (op.b % 7 == 0 ? 1 : 0), d.now);
        if (st.ok())
          d.running.emplace_back(id, epoch);
        else
          d.starting.emplace_back(id, epoch);
      }
      break;
    case 3:
      if (d.starting.empty()) return;
      {
        auto [id, epoch] = TakeAt(d.starting, op.a);
        st = s.StartFailed(id, epoch, d.now);
      }
      break;
    case 4:
      if (!d.running.empty() && op.b % 5 != 0) {
        {
          auto [fid, fe] = TakeAt(d.running, op.a);
          st = s.Finish(fid, fe, d.now);
        }
      } else if (!d.stopping.empty() && op.b % 5 == 0) {
        {
          auto [fid, fe] = TakeAt(d.stopping, op.a);
          st = s.Finish(fid, fe, d.now);
        }
      } else if (!d.submitted.empty()) {
        st = s.Finish(d.submitted[static_cast<size_t>(op.a) % d.submitted.size()], 1, d.now);
      } else {
        return;
      }
      break;
    case 5: {
      if (d.submitted.empty()) return;
      const JobId id = d.submitted[static_cast<size_t>(op.a) % d.submitted.size()];
      st = s.Cancel(id, d.now);
      if (st.ok()) {
        std::optional<JobView> v = s.Find(id);
        for (auto* list : {&d.starting, &d.running}) {
          std::erase_if(*list, [&](const auto& p) { return p.first == id; });
        }
        if (v && v->state == JobState::kStopping &&
            std::none_of(d.stopping.begin(), d.stopping.end(),
                         [&](const auto& p) { return p.first == id; })) {
          d.stopping.emplace_back(id, v->epoch);
        }
      }
      break;
    }
    case 6:
      if (d.stopping.empty()) return;
      {
        auto [id, epoch] = TakeAt(d.stopping, op.a);
        st = s.Released(id, epoch + (op.b % 11 == 0 ? 1 : 0), d.now);
        if (!st.ok()) d.stopping.emplace_back(id, epoch);
      }
      break;
    case 7: {
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
      break;
    }
    case 8:
      st = s.Tick(d.now - 1 - op.a % 3);
      break;
    case 9:
      if (d.submitted.empty()) return;
      st = s.SetAttained(d.submitted[static_cast<size_t>(op.a) % d.submitted.size()],
                         (op.b % 4 - 1) * kMinute);
      break;
    default:
      st = s.Tick(d.now);
      break;
  }
  Resync(s, d);
  transcript += " " + std::to_string(op.kind) +
                (st.ok() ? "+" : "-" + std::to_string(static_cast<int>(st.code())));
  if (!st.ok()) RC_ASSERT(s.Snapshot() == before);
  RC_ASSERT(s.CheckInvariants().value_or("") == std::string());
}

RC_GTEST_PROP(SchedulerCallRegression, CancelReleaseReuseAndRestore, ()) {
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(2, 2, 2));
  SchedulerConfig config;
  config.policy = *rc::gen::element<std::string>("fifo", "priority", "backfill", "sjf", "srtf",
                                                 "las", "fairshare");
  config.confirm_stops = *rc::gen::element(true, true, false);
  config.nodes_present = *rc::gen::element(true, true, false);
  config.bf_max_job_test = *rc::gen::inRange(1, 10);
  config.las_thresholds = {*rc::gen::element<std::int64_t>(1000, 8 * kMinute, 8 * kHour)};
  config.las_promote_knob = *rc::gen::element(0.0, 2.0);
  const std::vector<Tenant> tenants = {{"a", 1, 16}, {"b", 2, std::nullopt}};
  RegressionOracle oracle;
  auto make = [&] {
    return Scheduler::Create(fleet, config, tenants, {nullptr, nullptr, &oracle}).value();
  };
  const auto ops =
      *rc::gen::scale(4, rc::gen::container<std::vector<ROp>>(rc::gen::build<ROp>(
                             rc::gen::set(&ROp::kind, rc::gen::weightedElement<int>({{25, 0},
                                                                                     {20, 1},
                                                                                     {20, 2},
                                                                                     {3, 3},
                                                                                     {6, 4},
                                                                                     {6, 5},
                                                                                     {10, 6},
                                                                                     {4, 7},
                                                                                     {1, 8},
                                                                                     {2, 9},
                                                                                     {3, 10}})),
                             rc::gen::set(&ROp::a, rc::gen::inRange(0, 1000)),
                             rc::gen::set(&ROp::b, rc::gen::inRange(0, 1000)),
                             rc::gen::set(&ROp::c, rc::gen::inRange(0, 1000)))));
  const size_t cut = ops.empty() ? 0 : *rc::gen::inRange<size_t>(0, ops.size());

  Scheduler original = make();
  RDriver d1;
  std::string t1;
  for (const ROp& op : ops) {
    RApply(original, d1, op, t1, config.policy);
    Scheduler copy = make();
    const std::string snap = original.Snapshot();
    const Status st = copy.Restore(snap);
    RC_ASSERT(st.ok());
    RC_ASSERT(copy.Snapshot() == snap);
  }
  Scheduler before_cut = make();
  RDriver d2;
  std::string t2;
  for (size_t i = 0; i < cut; ++i) RApply(before_cut, d2, ops[i], t2, config.policy);
  Scheduler restored = make();
  RC_ASSERT(restored.Restore(before_cut.Snapshot()).ok());
  for (size_t i = cut; i < ops.size(); ++i) RApply(restored, d2, ops[i], t2, config.policy);
  RC_TAG(config.policy);
  RC_ASSERT(t2 == t1);
  const std::string sa = restored.Snapshot(), sb = original.Snapshot();
  // REVIEW_SKIP_F10=1: finding F10 (stale reason_details in reused slots) makes snapshots differ.
  if (sa != sb && std::getenv("REVIEW_SKIP_F10") == nullptr) {
    size_t i = 0;
    while (i < sa.size() && i < sb.size() && sa[i] == sb[i]) ++i;
    for (JobId id : d1.submitted) {
      auto x = original.Find(id), y = restored.Find(id);
      if (!x) continue;
      RC_LOG() << id << " state " << int(x->state) << "/" << int(y->state) << " attained "
               << x->attained << "/" << y->attained << " run_start " << x->run_start << "/"
               << y->run_start << " epoch " << x->epoch << "/" << y->epoch << "\n";
      auto wx = original.WhyPending(id), wy = restored.WhyPending(id);
      if (wx) {
        RC_LOG() << "  why " << DescribeReason(*wx, fleet) << " | " << DescribeReason(*wy, fleet)
                 << "\n";
      }
    }
    RC_FAIL("snapshots differ at byte " + std::to_string(i) + " of " + std::to_string(sa.size()) +
            "/" + std::to_string(sb.size()) + ", from the end " + std::to_string(sb.size() - i));
  }
}

}  // namespace
}  // namespace gpufleet
