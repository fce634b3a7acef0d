// priority: priority order, then submission; a blocked head preempts lower-priority running jobs,
// lowest priority and most recently started first (least work lost).
#include <set>
#include <tuple>

#include "sched/policy_strict.h"

namespace gpufleet {
namespace {

class PriorityPolicy final : public StrictPolicy {
 public:
  std::pair<std::int64_t, std::int64_t> KeyOf(const SchedulerCore& core, Slot s) const override {
    const SchedJob& j = core.job(s);
    return {-static_cast<std::int64_t>(j.priority), j.submit};
  }
  void OnStarted(SchedulerCore& core, Slot s, SimTime) override {
    victims_.insert(VictimKey(core, s));
  }
  void OnConfirmed(SchedulerCore& core, Slot s, SimTime old_run_start, SimTime) override {
    const SchedJob& j = core.job(s);
    victims_.erase({j.priority, -old_run_start, j.id, s});
    victims_.insert(VictimKey(core, s));
  }
  void OnStopping(SchedulerCore& core, Slot s, SimTime) override {
    victims_.erase(VictimKey(core, s));
  }
  void OnRestored(SchedulerCore& core) override {
    victims_.clear();
    for (Slot s : core.running_list) victims_.insert(VictimKey(core, s));
  }
  std::optional<std::string> Check(const SchedulerCore& core) const override {
    std::set<Key> expected;
    for (Slot s : core.running_list) expected.insert(VictimKey(core, s));
    if (expected != victims_) return std::string("priority: its victim order is off");
    return std::nullopt;
  }
  void Save(const SchedulerCore&, ByteWriter& w) const override {
    w.Put(failed_head_);
    w.Put(failed_version_);
    w.Put(failed_victims_);
  }
  Status Load(SchedulerCore&, ByteReader& r) override {
    r.Get(failed_head_);
    r.Get(failed_version_);
    r.Get(failed_victims_);
    return Status::Ok();
  }

 protected:
  SchedulerCore::Preempted Preempt(SchedulerCore& core, Slot head_slot, SimTime now,
                                   std::vector<Decision>& out) override {
    const SchedJob& head = core.job(head_slot);
    // Its victims are still stopping: wait for them rather than preempt more.
    if (head.Planning()) return SchedulerCore::Preempted::kAwaitingRelease;
    // Nothing changed since this head last found no victims enough.
    if (failed_head_ == head.seq && failed_version_ == core.capacity_version &&
        failed_victims_ == core.victims_version) {
      return SchedulerCore::Preempted::kNone;
    }
    std::vector<Slot> victims;
    for (const auto& [priority, neg_start, id, slot] : victims_) {
      if (priority >= head.priority) break;
      if (!core.Evictable(core.job(slot), now)) continue;  // not one started at this instant
      victims.push_back(slot);
    }
    const SchedulerCore::Preempted p = core.PreemptFor(head_slot, victims, now, out);
    if (p == SchedulerCore::Preempted::kNone) {
      failed_head_ = head.seq;
      failed_version_ = core.capacity_version;
      failed_victims_ = core.victims_version;
    }
    return p;
  }

 private:
  using Key = std::tuple<std::int32_t, SimTime, JobId, Slot>;
  static Key VictimKey(const SchedulerCore& core, Slot s) {
    const SchedJob& j = core.job(s);
    return {j.priority, -j.run_start, j.id, s};
  }
  // Jobs holding GPUs by preemption order: lowest priority, then the most recently started.
  std::set<Key> victims_;
  // The last head that found no victims enough (its seq), and what it saw.
  std::uint64_t failed_head_ = 0, failed_version_ = 0, failed_victims_ = 0;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakePriorityPolicy(const SchedulerConfig&) {
  return std::make_unique<PriorityPolicy>();
}

}  // namespace gpufleet
