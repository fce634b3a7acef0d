// Golden schedules: small fleets and explicit workloads whose every start and end time is derived
// by hand in the comment above each test. A change to any of these numbers is a change of
// scheduling semantics and must be deliberate.
//
// All tests (unless stated) use one fleet, DgxFleetYaml(1, 2, 2): 1 pod, 2 leaves, 2 DGX H100 per
// leaf, 32 GPUs. Nodes (= NVLink domains, 8 GPUs each), in id order:
//   n0 = s/p/l-1/d-1   n1 = s/p/l-1/d-2   n2 = s/p/l-2/d-1   n3 = s/p/l-2/d-2
//
// Rules used in the derivations (src/sim/simulator.h, src/sched/*.h):
//  * All events of one instant are processed, then one scheduling pass runs.
//  * Job ids follow the (stable) submission order of the `jobs:` list.
//  * Placement is best fit: the deepest level where one subtree holds the gang; descending, the
//    most occupied child that can hold it, the lowest id on ties; inside a node the lowest GPUs.
//  * A gang too big for one subtree of a level takes whole children largest first (in id order
//    among equals) and puts the remainder into the tightest child that holds it.
//  * estimate defaults to duration. Times are milliseconds (1m = 60'000, 1h = 3'600'000).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "sched/policy_config.h"
#include "sim/simulator.h"
#include "test_fleets.h"
#include "workload/workload.h"

namespace gpufleet {
namespace {

using testing::DgxFleetYaml;
using testing::MustParseFleet;
using testing::MustParseWorkload;

constexpr SimTime T(int hours, int minutes = 0) { return hours * kHour + minutes * kMinute; }

SimResult RunGolden(const std::string& workload_yaml, std::string policy) {
  const Fleet fleet = MustParseFleet(DgxFleetYaml(1, 2, 2));
  const WorkloadSpec spec = MustParseWorkload(workload_yaml);
  Result<BoundWorkload> bound = BindWorkload(spec, fleet, /*seed=*/1);
  EXPECT_TRUE(bound.ok()) << bound.message();
  if (!bound.ok()) return SimResult{};
  SimOptions options;
  options.scheduler.policy = policy;
  Simulator sim(fleet, std::move(bound).value(), options);
  return sim.Run();
}

struct Expected {
  std::string name;
  SimTime start;
  SimTime end;
  int preemptions = 0;
  int interruptions = 0;
};

// Every job completed, in id order, with exactly these times and counts.
void ExpectSchedule(const SimResult& r, const std::vector<Expected>& want) {
  ASSERT_EQ(r.jobs.size(), want.size());
  EXPECT_TRUE(r.rejections.empty());
  for (size_t i = 0; i < want.size(); ++i) {
    const JobRecord& j = r.jobs[i];
    SCOPED_TRACE("job " + std::to_string(i) + " (" + want[i].name + ")");
    EXPECT_EQ(j.spec.name, want[i].name);
    EXPECT_EQ(j.state, JobRecord::State::kCompleted);
    EXPECT_EQ(j.first_start, want[i].start);
    EXPECT_EQ(j.end, want[i].end);
    EXPECT_EQ(j.preemptions, want[i].preemptions);
    EXPECT_EQ(j.interruptions, want[i].interruptions);
  }
  SimTime last = 0;
  for (const Expected& e : want) last = std::max(last, e.end);
  EXPECT_EQ(r.end_time, last);
}

// Shared by the fifo and backfill tests: a 24-GPU job runs, a 32-GPU job waits for the whole
// fleet, and two small jobs queue behind it.
const char* const kHeadOfLine = R"(
jobs:
  - {name: A, submit: 0s,  gpus: 24, duration: 2h}
  - {name: B, submit: 10m, gpus: 32, duration: 1h}
  - {name: C, submit: 20m, gpus: 4,  duration: 1h}
  - {name: D, submit: 30m, gpus: 4,  duration: 3h}
)";

// fifo, head-of-line blocking.
//  0:     A (24 GPUs) starts: no leaf holds 24, so the pod does: whole leaves largest first, l-1
//         (n0, n1), remainder 8 into l-2 where both nodes tie: n2. Free: n3 (8 GPUs).
//         A ends at 0 + 2h = 2h (7'200'000).
//  10m:   B needs 32, 8 free: B is the blocked head.
//  20m:   C (4 GPUs) would fit on n3, but fifo never passes the head: C waits.
//  30m:   D (4 GPUs) likewise waits.
//  2h:    A ends, 32 free. B starts (all 32 GPUs), ends 2h + 1h = 3h. C, D: 0 free, wait.
//  3h:    B ends. C starts, ends 3h + 1h = 4h; D starts, ends 3h + 3h = 6h.
TEST(GoldenSchedule, FifoHeadOfLineBlocking) {
  const SimResult r = RunGolden(kHeadOfLine, "fifo");
  ExpectSchedule(r, {
                        {"A", 0, T(2)},
                        {"B", T(2), T(3)},
                        {"C", T(3), T(4)},
                        {"D", T(3), T(6)},
                    });
}

// backfill (EASY) on the same input.
//  0:     A starts on n0, n1, n2 (as under fifo), estimated end 2h. Free: n3.
//  10m:   B (32) blocked. Reservation: replaying the estimated ends, A's release at 2h gives the
//         fleet 8 + 24 = 32 >= 32: shadow = 2h in the whole fleet, extra = 32 - 32 = 0.
//  20m:   C: now + estimate = 20m + 1h = 1h20m <= 2h, it cannot delay B: backfilled on n3 GPUs
//         0-3. C ends 1h20m.
//  30m:   D: 30m + 3h = 3h30m > 2h, it would still hold 4 GPUs at the shadow time, and the
//         reservation (the whole fleet) has extra 0: D does not backfill.
//  1h20m: C ends (as estimated: reservation unchanged). B still blocked; D still refused.
//  2h:    A ends. B starts on all 32, ends 3h. D: 0 free.
//  3h:    B ends. D starts, ends 3h + 3h = 6h.
// Difference to fifo: C runs 20m-1h20m instead of 3h-4h; A, B and D are unchanged (B is not
// delayed by the backfilled C).
TEST(GoldenSchedule, BackfillOnlyWhenTheHeadIsNotDelayed) {
  const SimResult r = RunGolden(kHeadOfLine, "backfill");
  ExpectSchedule(r, {
                        {"A", 0, T(2)},
                        {"B", T(2), T(3)},
                        {"C", T(0, 20), T(1, 20)},
                        {"D", T(3), T(6)},
                    });
}

// Backfill judges on estimates, never on true durations.
//  E: estimate 3h, true duration 30m (over-estimate). F: estimate 1h, true duration 3h
//  (under-estimate).
// backfill:
//  0:     A starts on n0, n1, n2, estimated end 2h. Free: n3.
//  10m:   B (32) blocked: shadow 2h (whole fleet), extra 0 (as in the test above).
//  20m:   E: 20m + 3h (estimate) > 2h: not backfilled, although its 30m run would end by 50m.
//  30m:   F: 30m + 1h (estimate) = 1h30m <= 2h: backfilled on n3 GPUs 0-3. Its true end is
//         30m + 3h = 3h30m.
//  2h:    A ends. Free 28 < 32: B blocked. The shadow is due: recomputed, F's estimated release
//         (1h30m, already past) gives 28 + 4 = 32 -> shadow = max(1h30m, 2h) = 2h, extra 0.
//         E: 2h + 3h > 2h: not backfilled.
//  3h30m: F ends. B starts, ends 3h30m + 1h = 4h30m. E: 0 free.
//  4h30m: B ends. E starts, ends 4h30m + 30m = 5h.
// fifo on the same input (estimates play no part):
//  A 0-2h; B, E, F wait behind B. 2h: B starts (32), ends 3h. 3h: E (n0 GPUs 0-3 by best fit)
//  and F (n0 GPUs 4-7) start: E ends 3h30m, F ends 6h.
TEST(GoldenSchedule, BackfillJudgesEstimatesNotDurations) {
  const char* const workload = R"(
jobs:
  - {name: A, submit: 0s,  gpus: 24, duration: 2h}
  - {name: B, submit: 10m, gpus: 32, duration: 1h}
  - {name: E, submit: 20m, gpus: 4,  duration: 30m, estimate: 3h}
  - {name: F, submit: 30m, gpus: 4,  duration: 3h,  estimate: 1h}
)";
  {
    SCOPED_TRACE("backfill");
    const SimResult r = RunGolden(workload, "backfill");
    ExpectSchedule(r, {
                          {"A", 0, T(2)},
                          {"B", T(3, 30), T(4, 30)},
                          {"E", T(4, 30), T(5)},
                          {"F", T(0, 30), T(3, 30)},
                      });
  }
  {
    SCOPED_TRACE("fifo");
    const SimResult r = RunGolden(workload, "fifo");
    ExpectSchedule(r, {
                          {"A", 0, T(2)},
                          {"B", T(2), T(3)},
                          {"E", T(3), T(3, 30)},
                          {"F", T(3), T(6)},
                      });
  }
}

// backfill with a topology-constrained head: the reservation is one leaf, and a long job may
// backfill outside it.
//  0:     A1 (8) -> n0 (leaves tie, l-1; nodes tie, d-1), est. end 2h.
//         A2 (8) -> n1 (l-1 is the most occupied leaf with a free node), est. end 3h.
//         A3 (8) -> n2 (only l-2 has a free node; its nodes tie), est. end 4h. Free: n3.
//  10m:   B (16, topology leaf) blocked: no leaf has 16 free. Reservation, replaying estimated
//         ends per leaf: A1 at 2h -> l-1 has 8; A2 at 3h -> l-1 has 16 >= 16: shadow 3h in l-1,
//         extra = 16 - 16 = 0.
//  20m:   C (8, 5h): 20m + 5h > 3h, may outlive the shadow, so it must stay out of l-1: placed
//         outside the reservation on n3. C ends 20m + 5h = 5h20m.
//  50m:   E (8, 2h) arrives: nothing free.
//  1h:    D (8, 30m) arrives: nothing free.
//  2h:    A1 ends (n0 free; as estimated, reservation kept). B: l-1 has 8 < 16, blocked.
//         E (queued before D): 2h + 2h = 4h > 3h; outside l-1 nothing is free, and extra is 0:
//         not backfilled. D: 2h + 30m = 2h30m <= 3h: backfilled on n0, ends 2h30m.
//  2h30m: D ends. B still blocked (l-1 has 8). E: 4h30m > 3h, refused again.
//  3h:    A2 ends: l-1 has 16. B starts on l-1, ends 3h + 1h = 4h. E: nothing free.
//  4h:    B and A3 end. E (8) -> n2 (l-2 is the more occupied leaf), ends 4h + 2h = 6h.
TEST(GoldenSchedule, BackfillAroundALeafReservation) {
  const char* const workload = R"(
jobs:
  - {name: A1, submit: 0s,  gpus: 8,  duration: 2h}
  - {name: A2, submit: 0s,  gpus: 8,  duration: 3h}
  - {name: A3, submit: 0s,  gpus: 8,  duration: 4h}
  - {name: B,  submit: 10m, gpus: 16, duration: 1h, topology: leaf}
  - {name: C,  submit: 20m, gpus: 8,  duration: 5h}
  - {name: E,  submit: 50m, gpus: 8,  duration: 2h}
  - {name: D,  submit: 1h,  gpus: 8,  duration: 30m}
)";
  const SimResult r = RunGolden(workload, "backfill");
  ExpectSchedule(r, {
                        {"A1", 0, T(2)},
                        {"A2", 0, T(3)},
                        {"A3", 0, T(4)},
                        {"B", T(3), T(4)},
                        {"C", T(0, 20), T(5, 20)},
                        {"E", T(4), T(6)},
                        {"D", T(2), T(2, 30)},
                    });
}

// priority with preemption: the youngest job of the lowest priority goes first, and only as many
// jobs as needed.
//  0:     L1 (8, prio 0) -> n0.
//  10m:   L2 (8, prio 0) -> n1 (l-1 is the more occupied leaf).
//  20m:   L3 (8, prio 0) -> n2 (l-1 full; l-2's nodes tie).
//  30m:   M (8, prio 1) -> n3. The fleet is full.
//  1h:    H (8, prio 5) blocked. Victims in eviction order: priority 0 before 1, most recent
//         start first: L3 (started 20m), L2 (10m), L1 (0), then M. L3 alone frees 8 >= 8: only
//         L3 is preempted; H starts on n2, ends 1h + 1h = 2h.
//         L3 keeps its progress: 1h - 20m = 40m; remaining 4h - 40m = 3h20m. It requeues and
//         cannot preempt anyone (no running job has priority < 0).
//  2h:    H ends. L3 restarts on n2, ends 2h + 3h20m = 5h20m (first_start stays 20m).
//  L1 ends 0 + 4h = 4h, L2 10m + 4h = 4h10m, M 30m + 4h = 4h30m.
TEST(GoldenSchedule, PriorityPreemptsYoungestLowestPriority) {
  const char* const workload = R"(
jobs:
  - {name: L1, submit: 0s,  gpus: 8, duration: 4h}
  - {name: L2, submit: 10m, gpus: 8, duration: 4h}
  - {name: L3, submit: 20m, gpus: 8, duration: 4h}
  - {name: M,  submit: 30m, gpus: 8, duration: 4h, priority: 1}
  - {name: H,  submit: 1h,  gpus: 8, duration: 1h, priority: 5}
)";
  const SimResult r = RunGolden(workload, "priority");
  ExpectSchedule(r, {
                        {"L1", 0, T(4)},
                        {"L2", T(0, 10), T(4, 10)},
                        {"L3", T(0, 20), T(5, 20), /*preemptions=*/1},
                        {"M", T(0, 30), T(4, 30)},
                        {"H", T(1), T(2)},
                    });
  // Graceful preemption: L3 ran 40m + 3h20m = 4h in total, nothing lost.
  EXPECT_EQ(r.jobs[2].run_ms, T(4));
  EXPECT_EQ(r.jobs[2].lost_ms, 0);
}

// priority with preemption under a topology constraint: the victims must free one whole leaf.
// Same fleet and first four jobs as above (L1 n0, L2 n1, L3 n2, M n3); H needs 16 GPUs in one leaf.
//  1h:    Victims in eviction order, counting freed GPUs per leaf: L3 -> l-2 has 8; L2 -> l-1 has
//         8; L1 -> l-1 has 16 >= 16: target l-1. Only the considered jobs inside l-1 are evicted:
//         L1 and L2 (L3 is spared: l-2 also holds the higher-priority M). H starts on l-1, ends
//         1h + 1h = 2h.
//         L1 keeps 1h of progress (remaining 3h); L2 keeps 1h - 10m = 50m (remaining 3h10m).
//  2h:    H ends; queue order is priority, then submission: L1 -> n0 (leaves: only l-1 has room;
//         its nodes tie), ends 2h + 3h = 5h; L2 -> n1, ends 2h + 3h10m = 5h10m.
//  L3 ends 20m + 4h = 4h20m, M 30m + 4h = 4h30m.
TEST(GoldenSchedule, PriorityPreemptionFreesOneLeaf) {
  const char* const workload = R"(
jobs:
  - {name: L1, submit: 0s,  gpus: 8,  duration: 4h}
  - {name: L2, submit: 10m, gpus: 8,  duration: 4h}
  - {name: L3, submit: 20m, gpus: 8,  duration: 4h}
  - {name: M,  submit: 30m, gpus: 8,  duration: 4h, priority: 1}
  - {name: H,  submit: 1h,  gpus: 16, duration: 1h, priority: 5, topology: leaf}
)";
  const SimResult r = RunGolden(workload, "priority");
  ExpectSchedule(r, {
                        {"L1", 0, T(5), /*preemptions=*/1},
                        {"L2", T(0, 10), T(5, 10), /*preemptions=*/1},
                        {"L3", T(0, 20), T(4, 20)},
                        {"M", T(0, 30), T(4, 30)},
                        {"H", T(1), T(2)},
                    });
}

// A topology constraint that forces waiting (fifo).
//  0:     F1 (16, leaf, 1h) -> l-1 (leaves tie), ends 1h.
//         K (4, 3h) -> n2 GPUs 0-3 (only l-2 has room; its nodes tie), ends 3h.
//         F2 (12, leaf, 2h) -> the rest of l-2 (n2 GPUs 4-7, n3), ends 2h. Fleet full.
//         M (4, 4h) waits.
//  1h:    F1 ends: M -> n0 GPUs 0-3 (only l-1 has room), ends 1h + 4h = 5h.
//  1h30m: Big (16) arrives.
//         topology leaf: free is l-1: 12 (n0 4, n1 8), l-2: 4 -> no leaf has 16: waits.
//  2h:    F2 ends: free l-1 12, l-2 12: 24 GPUs in total, but no leaf has 16: Big keeps waiting.
//  3h:    K ends: l-2 has 16. Big starts on l-2, ends 3h + 1h = 4h.
// The same workload with Big's topology: any:
//  2h:    24 free >= 16: Big starts at once (spanning both leaves), ends 3h.
TEST(GoldenSchedule, LeafConstraintWaitsForAWholeLeaf) {
  const std::string workload = R"(
jobs:
  - {name: F1,  submit: 0s,    gpus: 16, duration: 1h, topology: leaf}
  - {name: K,   submit: 0s,    gpus: 4,  duration: 3h}
  - {name: F2,  submit: 0s,    gpus: 12, duration: 2h, topology: leaf}
  - {name: M,   submit: 0s,    gpus: 4,  duration: 4h}
  - {name: Big, submit: 1h30m, gpus: 16, duration: 1h, topology: )";
  {
    SCOPED_TRACE("topology: leaf");
    const SimResult r = RunGolden(workload + "leaf}\n", "fifo");
    ExpectSchedule(r, {
                          {"F1", 0, T(1)},
                          {"K", 0, T(3)},
                          {"F2", 0, T(2)},
                          {"M", T(1), T(5)},
                          {"Big", T(3), T(4)},
                      });
  }
  {
    SCOPED_TRACE("topology: any");
    const SimResult r = RunGolden(workload + "any}\n", "fifo");
    ExpectSchedule(r, {
                          {"F1", 0, T(1)},
                          {"K", 0, T(3)},
                          {"F2", 0, T(2)},
                          {"M", T(1), T(5)},
                          {"Big", T(2), T(3)},
                      });
  }
}

// sjf (oracle) vs fifo on a queue of waiting whole-fleet jobs. Q's estimate (10h) is wrong on
// purpose: sjf reads the true duration.
//  0:     Blk (32, 1h) starts, ends 1h. P, Q, R, S (32 each) arrive at 10m..40m and wait.
// fifo (submission order P, Q, R, S):
//  P 1h-4h, Q 4h-5h, R 5h-7h, S 7h-8h.
// sjf (true remaining duration, then submission): Q (1h, 20m), S (1h, 40m), R (2h), P (3h):
//  Q 1h-2h, S 2h-3h, R 3h-5h, P 5h-8h.
TEST(GoldenSchedule, SjfOracleVersusFifoOrder) {
  const char* const workload = R"(
jobs:
  - {name: Blk, submit: 0s,  gpus: 32, duration: 1h}
  - {name: P,   submit: 10m, gpus: 32, duration: 3h}
  - {name: Q,   submit: 20m, gpus: 32, duration: 1h, estimate: 10h}
  - {name: R,   submit: 30m, gpus: 32, duration: 2h}
  - {name: S,   submit: 40m, gpus: 32, duration: 1h}
)";
  {
    SCOPED_TRACE("fifo");
    const SimResult r = RunGolden(workload, "fifo");
    ExpectSchedule(r, {
                          {"Blk", 0, T(1)},
                          {"P", T(1), T(4)},
                          {"Q", T(4), T(5)},
                          {"R", T(5), T(7)},
                          {"S", T(7), T(8)},
                      });
  }
  {
    SCOPED_TRACE("sjf");
    const SimResult r = RunGolden(workload, "sjf");
    ExpectSchedule(r, {
                          {"Blk", 0, T(1)},
                          {"P", T(5), T(8)},
                          {"Q", T(1), T(2)},
                          {"R", T(3), T(5)},
                          {"S", T(2), T(3)},
                      });
  }
}

// A scripted node failure (fifo): restart from scratch without checkpoints, from the last
// checkpoint with them; the repair decides when they run again.
//  0:     G (24, 6h) -> n0, n1, n2 (l-1 whole, remainder on n2), ends 6h.
//         N (4, 3h, no checkpoints) -> n3 GPUs 0-3; C (4, 3h, checkpoint every 30m) -> n3
//         GPUs 4-7. Fleet full.
//  1h40m: s/p/l-2/d-2 (= n3) fails, repair after 1h (at 2h40m). N and C are interrupted:
//         N has done 1h40m, no checkpoint: keeps 0, loses 1h40m (6'000'000 ms).
//         C has done 1h40m, last checkpoint at 1h30m: keeps 1h30m, loses 10m (600'000 ms).
//         Nothing is free (n3 is down): both wait.
//  2h40m: n3 repaired. N -> n3 GPUs 0-3, runs its full 3h again: ends 2h40m + 3h = 5h40m.
//         C -> n3 GPUs 4-7, runs the remaining 3h - 1h30m = 1h30m: ends 4h10m.
//  first_start stays 0 for both; interruptions 1 each, preemptions 0.
TEST(GoldenSchedule, NodeFailureRestartsOrResumesFromCheckpoint) {
  const char* const workload = R"(
jobs:
  - {name: G, submit: 0s, gpus: 24, duration: 6h}
  - {name: N, submit: 0s, gpus: 4,  duration: 3h}
  - {name: C, submit: 0s, gpus: 4,  duration: 3h, checkpoint_interval: 30m}
failures:
  - {at: 1h40m, target: s/p/l-2/d-2, repair_after: 1h}
)";
  const SimResult r = RunGolden(workload, "fifo");
  ExpectSchedule(r, {
                        {"G", 0, T(6)},
                        {"N", 0, T(5, 40), 0, /*interruptions=*/1},
                        {"C", 0, T(4, 10), 0, /*interruptions=*/1},
                    });
  EXPECT_EQ(r.jobs[1].lost_ms, T(1, 40));
  EXPECT_EQ(r.jobs[2].lost_ms, T(0, 10));
  // Wall run time, lost work included: N 1h40m + 3h, C 1h40m + 1h30m.
  EXPECT_EQ(r.jobs[1].run_ms, T(4, 40));
  EXPECT_EQ(r.jobs[2].run_ms, T(3, 10));
  EXPECT_EQ(r.node_failures, 1);
  EXPECT_EQ(r.node_repairs, 1);
}

}  // namespace
}  // namespace gpufleet
