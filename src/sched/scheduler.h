// The scheduler core: events in, decisions out. No clock, no I/O: the simulator and (later) the
// daemon drive it with the same calls, passing the current time with each event.
//
// The scheduler sees a job's runtime only through the user's estimate; the `sjf` policy also reads
// the true duration and is named an oracle for that reason.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "model/allocation.h"
#include "model/fleet.h"
#include "model/job.h"
#include "sched/admission.h"
#include "sched/capacity_index.h"
#include "sched/gang_request.h"
#include "sched/policy.h"
#include "util/time.h"

namespace gpufleet {

struct Decision {
  enum class Kind : std::uint8_t { kStart, kPreempt };
  Kind kind;
  JobId job;
};

class Scheduler {
 public:
  // `tenants` gives the fairshare policy its weights and quotas (JobSpec::tenant indexes it).
  Scheduler(const Fleet& fleet, SchedulerConfig config, std::vector<Tenant> tenants = {});

  // Limits beyond free GPUs (the sites' power budgets); none by default. Set before the first
  // event; the guard must outlive the scheduler.
  void set_admission(AdmissionGuard* guard) { admission_ = guard; }
  void set_placement_judge(PlacementJudge* judge) { judge_ = judge; }
  // --- events in ---
  // Queues a job. Returns the reason if it can never run on this fleet (too large for its
  // topology constraint or GPU model); such a job is not queued.
  std::optional<std::string> Submit(JobId id, const JobSpec& spec, SimTime now);
  // The job completed: its GPUs return to the pool.
  void Finish(JobId id, SimTime now);
  // Node n is down. Its jobs are stopped and requeued; they are returned so that the driver can
  // account for the lost work and report the kept progress through SetAttained.
  std::vector<JobId> FailNode(NodeId n, SimTime now);
  void RepairNode(NodeId n, SimTime now);
  // Run time the job keeps after an interruption (from its last checkpoint).
  void SetAttained(JobId id, SimTime attained);
  // A wake-up the scheduler asked for through NextWakeup has come.
  void Tick(SimTime now);
  // When the scheduler wants a pass even if no job arrives or ends: las, when a running job
  // crosses into a lower queue or a waiting one is due for promotion. kNever when not needed.
  SimTime NextWakeup(SimTime now) const;

  // --- decisions out ---
  // One scheduling pass at `now`; appends the decisions taken. Started jobs hold their GPUs
  // (AllocationOf); preempted jobs are back in the queue.
  void Schedule(SimTime now, std::vector<Decision>& out);

  // With no job running: whether some waiting job could start on the whole fleet healthy (its
  // GPUs, host resources and, with an admission guard, power). When none could, no repair can help
  // them and the driver may stop.
  bool AnyWaitingCouldStartWhenHealthy();
  // --- queries ---
  const Allocation& AllocationOf(JobId id) const { return jobs_[static_cast<size_t>(id)].alloc; }
  bool IsRunning(JobId id) const { return jobs_[static_cast<size_t>(id)].state == State::kRunning; }
  size_t pending() const { return queue_.size(); }
  size_t running() const { return running_; }
  std::int64_t allocated_milli() const { return allocated_milli_; }  // milli-GPUs held
  // Host CPU (milli-cores) and memory (MiB) held by running jobs.
  std::int64_t allocated_cpu() const { return allocated_cpu_; }
  std::int64_t allocated_memory() const { return allocated_memory_; }
  const CapacityIndex& index() const { return index_; }
  const Fleet& fleet() const { return fleet_; }
  // The backfill reservation: the blocked head and the time it is promised to start by.
  std::optional<std::pair<JobId, SimTime>> reservation() const {
    if (!reservation_ || reservation_->subtree < 0) return std::nullopt;
    return std::make_pair(reservation_->job, reservation_->shadow);
  }
  // Jobs holding GPUs of node n (several may share one GPU), ascending.
  const std::vector<JobId>& JobsOn(NodeId n) const { return node_jobs_[static_cast<size_t>(n)]; }
  // For tests: checks that allocations, GPU owners, counters and the capacity index agree, that
  // every gang is whole, of one model, on healthy nodes and inside its topology constraint.
  // Returns a description of the first violation.
  std::optional<std::string> CheckInvariants() const;

 private:
  enum class State : std::uint8_t { kNone, kPending, kRunning, kDone };
  struct Job {
    SimTime submit = 0;
    SimTime estimate = 0;
    SimTime oracle_duration = 0;
    SimTime attained = 0;  // run time credited so far
    SimTime run_start = 0;
    SimTime est_end = 0;  // run_start + estimated remaining time
    std::int32_t gpus = 0;
    std::int32_t milli = kMilliPerGpu;  // of each GPU
    std::int64_t cpu_per_gpu = 0, memory_per_gpu = 0;
    std::int32_t priority = 0;
    float power_utilization = 1;  // JobSpec::power_utilization, for the admission guard
    ModelId model = kAnyModel;
    std::uint64_t model_mask = 0;  // with model any: allowed models (0: all)
    Topology topology = Topology::kAny;
    State state = State::kNone;
    std::int32_t tenant = 0;
    SimTime pending_since = 0;       // when it last joined the queue
    SimTime las_base = 0;            // attained time at its last promotion (las)
    std::int32_t running_slot = -1;  // position in running_list_
    Allocation alloc;
    // GPUs held per subtree, level by level (fleet, site, pod, leaf, domain): entries
    // [span_begin[l], span_begin[l + 1]) of `spans` are the subtrees of level l. Reservations and
    // preemption count GPUs per subtree of one level; this keeps them from walking every node.
    std::vector<std::pair<TopoId, std::int32_t>> spans;
    std::array<std::uint32_t, kLevels> span_begin{};
  };
  // Queue order; ties end with the job id, never with an address.
  struct QueueKey {
    std::int64_t a, b;
    JobId id;
    bool operator<(const QueueKey& o) const {
      return std::tie(a, b, id) < std::tie(o.a, o.b, o.id);
    }
  };
  // The EASY reservation of the blocked head: it starts at `shadow` inside subtree `subtree`
  // (whose level is its topology constraint); `extra` GPUs of that subtree are still free then.
  struct Reservation {
    JobId job = -1;
    SimTime shadow = kNever;
    ModelId model = kAnyModel;
    TopoId subtree = -1;
    int extra = 0;
  };

  Job& job(JobId id) { return jobs_[static_cast<size_t>(id)]; }
  QueueKey KeyOf(JobId id) const;
  SimTime RemainingEstimate(const Job& j) const;

  bool TryStart(JobId id, SimTime now, std::vector<Decision>& out);
  // CapacityIndex::Place, then the admission guard: a placement a site refuses is undone and tried
  // again with that site hidden (sites are few: at most one retry each).
  // Then the placement judge: a placement the job refuses is undone and nothing is placed (the
  // job waits). refused_not_for_gpus_ tells the callers that the GPUs were there but the power or
  // the judge said no, so that they do not cache this as a size that cannot fit.
  std::optional<Allocation> PlaceAdmitted(JobId id, const GangRequest& r, TopoId within = 0);
  bool Judged(JobId id, const Allocation& a);
  // The admission guard's part of PlaceAdmitted: retries with refusing sites hidden.
  std::optional<Allocation> Admitted(std::optional<Allocation> a, const GangRequest& r,
                                     TopoId within, double utilization);
  void StartJob(JobId id, Allocation alloc, SimTime now, std::vector<Decision>& out);
  // Takes a running job off its GPUs and back into the queue. `release` is false when the
  // caller already returned the GPUs to the index.
  void StopJob(JobId id, SimTime now, bool release);
  void CapacityGrew();
  static size_t FailureSlot(const Job& j);
  GangRequest RequestOf(const Job& j) const;
  // Failure caches compare gang sizes within one model and constraint: only for whole-GPU gangs
  // without CPU, memory or a set of models, where a larger gang fails wherever a smaller one did.
  bool Cacheable(const Job& j) const { return RequestOf(j).WholeGpusOnly() && j.model_mask == 0; }
  // Only whole-GPU gangs without CPU or memory: with those, a larger gang can fit where a smaller
  // one failed.
  bool SkipAsTooLarge(const Job& j) const {
    return Cacheable(j) && j.gpus >= min_failed_[FailureSlot(j)];
  }
  void RememberFailure(const Job& j);
  void ComputeSpans(Job& j) const;
  // The GPUs job j holds in subtrees of `level`: a range of (subtree, GPUs).
  std::pair<const std::pair<TopoId, std::int32_t>*, const std::pair<TopoId, std::int32_t>*> SpansAt(
      const Job& j, Level level) const {
    const auto l = static_cast<size_t>(level);
    return {j.spans.data() + j.span_begin[l],
            j.spans.data() + (l + 1 < kLevels ? j.span_begin[l + 1] : j.spans.size())};
  }

  void StrictPass(SimTime now, bool preempt, std::vector<Decision>& out);
  // Priority preemption for a blocked head: lower-priority victims.
  bool TryPreempt(JobId head, SimTime now, std::vector<Decision>& out);
  // Evicts jobs from `victims`, in that order of preference, to place `head` whole; evicts only
  // what the head's subtree needs and puts back evicted jobs it did not use. False if even all
  // victims would not make room (then nothing changes).
  bool PreemptFor(JobId head, const std::vector<JobId>& victims, SimTime now,
                  std::vector<Decision>& out);
  // srtf and las: every waiting job in queue order may start, or evict worse-ranked running jobs.
  void PreemptivePass(SimTime now, std::vector<Decision>& out);
  using Rank = std::pair<std::int64_t, SimTime>;
  Rank RankOf(const Job& j, SimTime now) const;
  std::vector<JobId> VictimsFor(const Job& head, SimTime now) const;
  int LasQueue(std::int64_t gpu_ms) const;
  std::int64_t LasService(const Job& j, SimTime now) const;
  void PromoteStarving(SimTime now);
  void FairsharePass(SimTime now, std::vector<Decision>& out);
  void UpdateUsage(SimTime now);
  void BackfillPass(SimTime now, std::vector<Decision>& out);
  Reservation ComputeReservation(JobId head, SimTime now);
  bool TryBackfill(JobId id, SimTime now, std::vector<Decision>& out);

  // Per-subtree counters for one level, reset lazily by generation stamps.
  int& SubtreeCounter(TopoId t, ModelId m);

  const Fleet& fleet_;
  SchedulerConfig config_;
  CapacityIndex index_;
  std::vector<Job> jobs_;
  std::set<QueueKey> queue_;
  // Running jobs by estimated end (backfill) or by preemption order (priority).
  std::set<std::pair<SimTime, JobId>> by_end_;
  std::set<std::tuple<std::int32_t, SimTime, JobId>> by_victim_order_;
  std::vector<JobId> running_list_;

  size_t running_ = 0;
  std::int64_t allocated_milli_ = 0;
  std::int64_t allocated_cpu_ = 0, allocated_memory_ = 0;
  std::vector<std::vector<JobId>> node_jobs_;
  // The largest node of each GPU model: GPUs, milli-CPU and MiB (kUnmodelled where not modelled).
  struct NodeMax {
    int gpus = 0;
    std::int64_t cpu = 0, memory = 0;
  };
  std::vector<NodeMax> node_max_;
  // Whether a request with shares or host resources could ever be placed, judged on an empty
  // copy of the fleet and cached by the request's shape.
  bool EverFits(const GangRequest& r);
  std::unique_ptr<CapacityIndex> empty_index_;
  AdmissionGuard* admission_ = nullptr;
  PlacementJudge* judge_ = nullptr;
  bool refused_not_for_gpus_ = false;
  std::vector<TopoId> refusing_;  // scratch for PlaceAdmitted
  std::map<std::tuple<int, int, std::int64_t, std::int64_t, ModelId, int>, bool> ever_fits_;

  // Pass bookkeeping: what changed since the last pass decides how much work this one does.
  std::uint64_t capacity_version_ = 1;
  std::uint64_t last_pass_version_ = 0;
  JobId last_head_ = -1;
  std::vector<JobId> new_jobs_;
  // Smallest gang that failed to fit, by (model + 1, constraint level), during this pass; and the
  // same for placements that must avoid the reserved subtree.
  std::vector<std::int32_t> min_failed_;
  std::vector<std::int32_t> min_failed_outside_;
  std::optional<Reservation> reservation_;
  bool reservation_stale_ = true;
  std::pair<JobId, std::uint64_t> preempt_failed_{-1, 0};
  bool force_pass_ = false;
  // Smallest gang whose preemption attempt failed this pass, by model and level (srtf, las):
  // later jobs rank worse, so they have no more victims to evict.
  std::vector<std::int32_t> min_failed_preempt_;

  // fairshare
  std::vector<Tenant> tenants_;
  std::vector<std::int64_t> tenant_alloc_;  // GPUs held now
  std::vector<double> tenant_usage_;        // decayed GPU-milliseconds
  SimTime usage_updated_ = 0;

  std::vector<std::uint32_t> counter_stamp_;
  std::vector<int> counter_value_;
  std::uint32_t counter_generation_ = 0;
  std::vector<TopoId> touched_;
};

}  // namespace gpufleet
