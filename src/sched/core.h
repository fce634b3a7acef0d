// Inside the scheduler (not part of its API: include sched/scheduler.h): the state every policy
// shares - jobs in slots, the queue, the running set, the capacity index, the nodes - and the
// mechanisms policies are built from: try to start a job, start and stop it, preempt for it.
//
// Scheduler (scheduler.cc) checks every call and then changes this state; a SchedulingPolicy
// (policy.h) orders the queue and runs the pass with these mechanisms.
#pragma once

#include <array>
#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "sched/policy.h"
#include "sched/scheduler.h"
#include "util/id_map.h"

namespace gpufleet {

using Slot = std::int32_t;

// A job inside the scheduler. Slots are reused: `id` says whose job a slot holds now.
struct SchedJob {
  // What a pass reads of every job it ranks or evicts first, packed into one cache line: the
  // victim searches of las and srtf walk every running job for every waiting one.
  JobId id = -1;
  JobState state = JobState::kPending;
  bool live = false;       // false: a free slot
  bool then_done = false;  // stopping: it ends when released (cancelled) instead of waiting again
  std::int32_t gpus = 0;
  SimTime submit = 0;
  SimTime attained = 0;    // run time credited so far
  SimTime run_start = 0;   // when it runs from: the start, or its confirmation
  SimTime started_at = 0;  // when the scheduler started it (the pass)
  SimTime est_end = 0;     // run_start + estimated remaining time
  std::int32_t priority = 0;
  std::int32_t tenant = 0;

  Epoch epoch = 0;
  std::int32_t milli = kMilliPerGpu;  // of each GPU
  SimTime estimate = 0;
  std::int64_t cpu_per_gpu = 0, memory_per_gpu = 0;
  float power_utilization = 1;
  ModelId model = kAnyModel;
  Topology topology = Topology::kAny;
  std::uint64_t model_mask = 0;  // with model any: allowed models (0: all)
  SimTime pending_since = 0;     // when it last joined the queue
  SimTime stopped_at = 0;        // stopping: when it was told to stop (its run ended there)
  std::uint64_t seq = 0;  // its submission: unique for the scheduler's life, unlike a slot or an id
  std::int32_t running_slot = -1;  // position in running_list
  // Two-phase preemption (confirm_stops). A head waits for the victims of one preemption round:
  // how many still stop, the round, the placement it will take once they let go (`plan`), and
  // the part of it already released and held for it (`held`), so that nothing else takes it.
  // Apart (rare, and passes walk these records many times).
  struct HeadPlan {
    Allocation plan, held;
    std::int32_t awaiting_victims = 0;
    std::uint64_t round = 0;
  };
  std::unique_ptr<HeadPlan> head;
  bool Planning() const { return head != nullptr; }
  // A stopping victim: the head it stops for, and the round.
  JobId stopping_for = -1;
  std::uint64_t stopping_round = 0;
  // Why it waits, as the last pass that examined it found, and that examination. The numbers of
  // a reason recorded with SetReason sit apart (SchedulerCore::reason_details): passes walk these
  // records many times, reasons are read rarely.
  WaitReason reason = WaitReason::kNone;
  WaitReason last_wait = WaitReason::kNone;  // the reason it waited for before its last start
  std::uint64_t reason_pass = 0;
  Allocation alloc;
  // GPUs held per subtree, level by level (fleet, site, pod, leaf, domain): entries
  // [span_begin[l], span_begin[l + 1]) of `spans` are the subtrees of level l. Reservations and
  // preemption count GPUs per subtree of one level; this keeps them from walking every node.
  std::vector<std::pair<TopoId, std::int32_t>> spans;
  std::array<std::uint32_t, kLevels> span_begin{};

  bool HoldsGpus() const {
    return state == JobState::kStarting || state == JobState::kRunning ||
           state == JobState::kStopping;
  }
};

// Queue order: (a, b) from the policy, then the job id - never a slot or an address. The slot
// rides along (not part of the order) so that walking the queue needs no id lookups.
struct QueueKey {
  std::int64_t a, b;
  JobId id;
  Slot slot = -1;
  bool operator<(const QueueKey& o) const { return std::tie(a, b, id) < std::tie(o.a, o.b, o.id); }
};

class SchedulerCore {
 public:
  SchedulerCore(const Fleet& fleet, SchedulerConfig config, std::vector<Tenant> tenants,
                SchedulerHooks hooks, std::unique_ptr<SchedulingPolicy> policy);

  // --- jobs and slots ---
  SchedJob& job(Slot s) { return jobs[static_cast<size_t>(s)]; }
  const SchedJob& job(Slot s) const { return jobs[static_cast<size_t>(s)]; }
  std::optional<Slot> SlotOf(JobId id) const;
  Slot NewSlot(JobId id);
  void FreeSlot(Slot s);

  // --- the queue ---
  QueueKey KeyOf(Slot s) const;
  void Enqueue(Slot s, SimTime now);  // state kPending, keyed by the policy
  void Dequeue(Slot s);
  // Re-keys a waiting job around a change of what its key reads (attained time, a promotion).
  template <typename F>
  void Rekey(Slot s, F&& change) {
    queue.erase(KeyOf(s));
    change(job(s));
    queue.insert(KeyOf(s));
  }
  Slot HeadSlot() const { return queue.begin()->slot; }

  // --- nodes ---
  // Node n goes down or away: its starting and running jobs wait again (returned, ascending), its
  // stopping jobs are released.
  Scheduler::NodeLoss TakeNodeDown(NodeId n, SimTime now, NodeState to);
  void BringNodeUp(NodeId n);
  // Heads planning to start on node n give up their plans (and what is held for them).
  void AbandonPlansOn(NodeId n);
  // Drain: node n takes no new job (its jobs run on); orthogonal to up and down, so that a drained
  // node that fails and comes back is still drained. Undrain gives it back to placement.
  void SetDraining(NodeId n, bool draining);
  bool Placeable(NodeId n) const {
    return nodes[static_cast<size_t>(n)] == NodeState::kUp && !draining[static_cast<size_t>(n)];
  }

  // Why a job can never run on this fleet, even empty and healthy (nullopt: it can).
  std::optional<std::string> NeverFits(const SchedJob& j);

  // --- mechanisms ---
  static GangRequest RequestOf(const SchedJob& j) {
    GangRequest r;
    r.gpus = j.gpus;
    r.model = j.model;
    r.constraint = ConstraintLevel(j.topology);
    r.milli = j.milli;
    r.cpu_per_gpu = j.cpu_per_gpu;
    r.memory_per_gpu = j.memory_per_gpu;
    r.model_mask = j.model_mask;
    return r;
  }
  // Tries to place and start job s now; on failure records why it waits.
  bool TryStart(Slot s, SimTime now, std::vector<Decision>& out);
  // CapacityIndex::Place, then the admission guard: a placement a site refuses is undone and
  // tried again with that site hidden (sites are few: at most one retry each). Then the placement
  // judge: a placement the job refuses is undone and nothing is placed (the job waits).
  // refused_not_for_gpus tells the callers that the GPUs were there but the power or the judge
  // said no, so that they do not cache this as a size that cannot fit; `refusal` says which.
  // Over the whole fleet (`within` 0) with a dispatch policy, the sites are tried tier by tier
  // in the policy's order (sched/dispatch.h): the first tier that takes the job places it.
  std::optional<Allocation> PlaceAdmitted(Slot s, const GangRequest& r, TopoId within = 0);
  // PlaceAdmitted inside `within`, whatever the dispatch.
  std::optional<Allocation> PlaceAdmittedWithin(Slot s, const GangRequest& r, TopoId within);
  // PlaceAdmittedWithin over the sites of one tier: the others hidden for the attempt.
  std::optional<Allocation> PlaceAdmittedInTier(Slot s, const GangRequest& r,
                                                const std::vector<int>& tier);
  void StartJob(Slot s, Allocation alloc, SimTime now, std::vector<Decision>& out);
  // Takes a job off its GPUs (leaving it in no container: the caller sets its next state).
  // `release` is false when the caller already returned the GPUs to the index; `credit` adds the
  // run (to now, or to when a stopping job was told to stop) to attained - not for a start that
  // never ran.
  void StopJob(Slot s, SimTime now, bool release, bool credit);
  // A stopping job let go of its GPUs: it waits again, or is gone if it was cancelled.
  void Release(Slot s, SimTime now);
  // Two-phase preemption: a head gives up its plan (it started elsewhere, was cancelled, or a
  // node of the plan failed); what was held for it is free again.
  void AbandonPlan(Slot head);
  // A victim's GPUs were released: the part of the head's plan among them is taken again, for
  // the head.
  void HandOver(Slot head, const Allocation& freed);
  // Heads whose victims all let go start on their plans (at the start of a pass).
  void StartReadyHeads(SimTime now, std::vector<Decision>& out);
  // The seq of the job at the head of the queue (0: empty).
  std::uint64_t HeadSeq() const { return queue.empty() ? 0 : job(queue.begin()->slot).seq; }
  // A job that left for good.
  void Retire(Slot s);
  // Evicts jobs from `victims` (slots), in that order of preference, to place `head` whole;
  // evicts only what the head's subtree needs and leaves the others. kNone if even all victims
  // would not make room (then nothing changes); kStarted when the head started on their GPUs;
  // kAwaitingRelease with confirm_stops: the victims are stopping and the head waits for them.
  enum class Preempted { kNone, kStarted, kAwaitingRelease };
  // The victims a policy offers, in its order of preference, walked only as far as the search
  // needs: ForEach calls `visit` on each in turn until it returns false. A policy with its
  // victims already ordered hands them out lazily, so that finding a subtree for the head costs
  // the victims walked before one fills, not every running job.
  class VictimOrder {
   public:
    virtual ~VictimOrder() = default;
    virtual void ForEach(const std::function<bool(Slot)>& visit) const = 0;
  };
  Preempted PreemptFor(Slot head, const VictimOrder& victims, SimTime now,
                       std::vector<Decision>& out);
  Preempted PreemptFor(Slot head, const std::vector<Slot>& victims, SimTime now,
                       std::vector<Decision>& out);
  // Whether job j's allocation has GPUs at one of `sites` (site topology ids).
  bool RunsAtAnyOf(const SchedJob& j, const std::vector<TopoId>& sites) const;
  // Of `victims` (not in `taken`), those running at one of `sites`, the most power they free
  // first: what a head that the sites' power refuses may stop.
  std::vector<Slot> PowerVictims(const std::vector<Slot>& victims, const std::vector<Slot>& taken,
                                 const std::vector<TopoId>& sites) const;
  // A victim is a job that runs (confirmed) and was not started in this pass.
  bool Evictable(const SchedJob& j, SimTime now) const {
    return j.state == JobState::kRunning && j.started_at < now;
  }
  // Free capacity changed: cached "this size cannot fit" answers no longer hold.
  void CapacityGrew();

  // --- failure caches (within one capacity version a larger gang fails wherever a smaller did) ---
  static size_t FailureSlot(const SchedJob& j) {
    return static_cast<size_t>(j.model + 1) * kLevels +
           static_cast<size_t>(ConstraintLevel(j.topology));
  }
  // Whole GPUs of one model (or any), without CPU or memory: where a larger gang fails wherever
  // a smaller one did.
  static bool Cacheable(const SchedJob& j) {
    return j.milli == kMilliPerGpu && j.cpu_per_gpu == 0 && j.memory_per_gpu == 0 &&
           j.model_mask == 0;
  }
  bool SkipAsTooLarge(const SchedJob& j) const {
    return Cacheable(j) && j.gpus >= min_failed[FailureSlot(j)];
  }
  void RememberFailure(const SchedJob& j);

  // --- why a job waits ---
  // The reason for a gang that finds no room now: capacity or host resources, with the numbers.
  PendingReason NoRoomReason(const SchedJob& j) const;
  // The gang's request alone (level, model, GPUs wanted), for reasons that add their own fields.
  PendingReason BasicReason(const SchedJob& j) const;
  // A pass found no room for job s. Cheap, as passes record it for many jobs: the numbers are
  // filled in when someone asks (ReasonOf), from the capacity then.
  void MarkNoRoom(Slot s) { MarkReason(s, WaitReason::kCapacity); }
  // A reason whose numbers are filled in when asked: kCapacity (by NoRoomReason) or one the
  // policy explains (SchedulingPolicy::Explain, e.g. backfill's reservation).
  void MarkReason(Slot s, WaitReason code) {
    job(s).reason = code;
    job(s).reason_pass = examination;
  }
  // After a failed placement attempt: the refusal PlaceAdmitted saw, or no room.
  void SetFailureReason(Slot s) {
    if (refused_not_for_gpus) {
      SetReason(s, refusal);
    } else {
      MarkNoRoom(s);
    }
  }
  void SetReason(Slot s, const PendingReason& r) {
    job(s).reason = r.code;
    job(s).reason_pass = examination;
    reason_details[static_cast<size_t>(s)] = r;
  }
  // A pass that examines the queue afresh: reasons found before it are superseded.
  void BeginExamination(SimTime now) {
    ++examination;
    last_examined_at = now;
  }
  // The reason of a waiting job as of now (the stored one, or the policy's for jobs the last
  // examination did not reach); `ahead` jobs precede it in queue order.
  PendingReason ReasonOf(Slot s, std::int64_t ahead) const {
    return ReasonOf(s, [ahead] { return ahead; });
  }
  // The same, counting the jobs ahead only for a reason that says how many there are: counting
  // walks the queue, and a server asks for one job's reason at every submission.
  PendingReason ReasonOf(Slot s, const std::function<std::int64_t()>& ahead) const;

  // --- subtree counters for one level, reset lazily by generation stamps ---
  int& SubtreeCounter(TopoId t, ModelId m);
  void NewCounterGeneration() { ++counter_generation_; }
  using SpanRange =
      std::pair<const std::pair<TopoId, std::int32_t>*, const std::pair<TopoId, std::int32_t>*>;
  SpanRange SpansAt(const SchedJob& j, Level level) const {
    const auto l = static_cast<size_t>(level);
    return {j.spans.data() + j.span_begin[l],
            j.spans.data() + (l + 1 < kLevels ? j.span_begin[l + 1] : j.spans.size())};
  }
  void ComputeSpans(SchedJob& j) const;
  // The GPUs a job would give back, per subtree of `level`, that placement could use: its spans,
  // less what it holds on draining nodes (computed into `scratch` only when it holds some there).
  // Reservations and victim searches count with it, so that they never count on drained GPUs.
  SpanRange ReusableSpansAt(const SchedJob& j, Level level,
                            std::vector<std::pair<TopoId, std::int32_t>>& scratch) const;
  bool EverFits(const GangRequest& r);
  bool AnyWaitingCouldStartWhenHealthy();
  std::optional<std::string> CheckInvariants() const;

  // --- state (policies read and change it through the mechanisms above) ---
  const Fleet& fleet;
  SchedulerConfig config;
  SchedulerHooks hooks;
  std::unique_ptr<SchedulingPolicy> policy;
  CapacityIndex index;
  SiteRanker site_ranker;  // the dispatch policy's order of the sites
  std::vector<SchedJob> jobs;
  std::vector<PendingReason> reason_details;  // by slot: SetReason's numbers
  IdMap slot_of;                              // lookups only, never iterated
  std::vector<Slot> free_slots;
  std::set<QueueKey> queue;
  std::int64_t queued_milli = 0;   // milli-GPUs the queue's jobs ask for (Enqueue and Dequeue)
  std::vector<Slot> running_list;  // jobs holding GPUs, in no particular order
  std::vector<NodeState> nodes;
  std::vector<std::uint8_t> draining;  // per node: drained by an operator (1)
  std::int32_t draining_count = 0;
  std::vector<std::vector<JobId>> node_jobs;  // per node, ascending
  std::vector<Tenant> tenants;
  SimTime last_now = 0;

  size_t holding = 0;  // jobs holding GPUs
  std::int64_t allocated_milli = 0;
  std::int64_t allocated_cpu = 0, allocated_memory = 0;
  // The largest node of each GPU model: GPUs, milli-CPU and MiB (kUnmodelled where not modelled).
  struct NodeMax {
    int gpus = 0;
    std::int64_t cpu = 0, memory = 0;
  };
  std::vector<NodeMax> node_max;

  // Pass bookkeeping: what changed since the last pass decides how much work this one does.
  std::uint64_t capacity_version = 1;
  std::uint64_t examination = 0;
  SimTime last_examined_at = 0;
  std::uint64_t last_pass_version = 0;
  std::uint64_t last_head_seq = 0;  // the queue's head after the last pass (its seq; 0: none)
  std::uint64_t next_seq = 1, next_round = 1;
  // Bumped when a job becomes a possible victim other than by starting (a confirmation after a
  // launch delay): a head that found no victims before may find some now.
  std::uint64_t victims_version = 0;
  // Heads waiting for their victims (two-phase preemption), and those whose victims all let go:
  // they start at the next pass, on their plan.
  std::vector<Slot> planning_heads, ready_heads;
  using HeadPlan = SchedJob::HeadPlan;
  std::vector<JobId> new_jobs;  // submitted since the last pass (ids: a slot may be reused)
  bool force_pass = false;
  // Smallest gang that failed to fit, by (model + 1, constraint level), since capacity last grew;
  // and the same for placements that must avoid backfill's reserved subtree.
  std::vector<std::int32_t> min_failed;
  std::vector<std::int32_t> min_failed_outside;
  // Smallest gang whose preemption attempt failed this pass, by model and level (srtf, las).
  std::vector<std::int32_t> min_failed_preempt;

  // PlaceAdmitted's verdict on its last refusal.
  bool refused_not_for_gpus = false;
  PendingReason refusal;
  // The sites whose power refused PlaceAdmitted's last attempt (empty when power did not stand in
  // the way): where a power-blocked head needs power to be kept for it (backfill).
  std::vector<TopoId> power_refused_sites;

 private:
  // The admission guard's part of PlaceAdmitted: retries with refusing sites hidden.
  std::optional<Allocation> Admitted(std::optional<Allocation> a, const GangRequest& r,
                                     TopoId within, double utilization);
  bool Judged(Slot s, const Allocation& a);

  std::unique_ptr<CapacityIndex> empty_index_;
  std::map<std::tuple<int, int, std::int64_t, std::int64_t, ModelId, int>, bool> ever_fits_;
  std::vector<TopoId> refusing_;  // scratch for PlaceAdmitted
  std::vector<std::uint32_t> counter_stamp_;
  std::vector<int> counter_value_;
  std::uint32_t counter_generation_ = 0;

 public:
  // The value of a counter set in the current generation (after SubtreeCounter).
  int CounterValue(TopoId t) const { return counter_value_[static_cast<size_t>(t)]; }
};

}  // namespace gpufleet
