// priority: priority order, then submission; a blocked head preempts lower-priority running jobs,
// lowest priority and most recently started first (least work lost).
#include <set>
#include <tuple>
#include <vector>

#include "sched/policy_strict.h"

namespace gpufleet {
namespace {

class PriorityPolicy final : public StrictPolicy {
 public:
  std::pair<std::int64_t, std::int64_t> KeyOf(const SchedulerCore& core, Slot s) const override {
    const SchedJob& j = core.job(s);
    return {-static_cast<std::int64_t>(j.priority), j.submit};
  }
  void OnStarted(SchedulerCore& core, Slot s, SimTime) override { AddVictim(core, s); }
  void OnConfirmed(SchedulerCore& core, Slot s, SimTime, SimTime) override {
    victims_.erase(victim_at_[static_cast<size_t>(s)]);  // keyed by the run start it replaces
    AddVictim(core, s);
  }
  void OnStopping(SchedulerCore&, Slot s, SimTime) override {
    victims_.erase(victim_at_[static_cast<size_t>(s)]);
  }
  void OnRestored(SchedulerCore& core) override {
    victims_.clear();
    for (Slot s : core.running_list) AddVictim(core, s);
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
    const SchedulerCore::Preempted p =
        core.PreemptFor(head_slot, Below(core, victims_, head.priority, now), now, out);
    if (p == SchedulerCore::Preempted::kNone) {
      failed_head_ = head.seq;
      failed_version_ = core.capacity_version;
      failed_victims_ = core.victims_version;
    }
    return p;
  }

 private:
  using Key = std::tuple<std::int32_t, SimTime, JobId, Slot>;
  // The running jobs below `priority` in preemption order, walked from the set itself: the
  // search stops at the first subtree they fill.
  class Below final : public SchedulerCore::VictimOrder {
   public:
    Below(const SchedulerCore& core, const std::set<Key>& victims, std::int32_t priority,
          SimTime now)
        : core_(core), victims_(victims), priority_(priority), now_(now) {}
    void ForEach(const std::function<bool(Slot)>& visit) const override {
      for (const auto& [priority, neg_start, id, slot] : victims_) {
        if (priority >= priority_) return;
        if (!core_.Evictable(core_.job(slot), now_)) continue;  // not one started at this instant
        if (!visit(slot)) return;
      }
    }

   private:
    const SchedulerCore& core_;
    const std::set<Key>& victims_;
    const std::int32_t priority_;
    const SimTime now_;
  };
  static Key VictimKey(const SchedulerCore& core, Slot s) {
    const SchedJob& j = core.job(s);
    return {j.priority, -j.run_start, j.id, s};
  }
  // A job holding GPUs enters victims_; where, is kept for its removal (no search by key then).
  void AddVictim(const SchedulerCore& core, Slot s) {
    if (victim_at_.size() <= static_cast<size_t>(s)) victim_at_.resize(static_cast<size_t>(s) + 1);
    victim_at_[static_cast<size_t>(s)] = victims_.insert(VictimKey(core, s)).first;
  }
  // Jobs holding GPUs by preemption order: lowest priority, then the most recently started.
  std::set<Key> victims_;
  std::vector<std::set<Key>::iterator> victim_at_;  // per slot holding GPUs: its entry there
  // The last head that found no victims enough (its seq), and what it saw.
  std::uint64_t failed_head_ = 0, failed_version_ = 0, failed_victims_ = 0;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakePriorityPolicy(const SchedulerConfig&) {
  return std::make_unique<PriorityPolicy>();
}

}  // namespace gpufleet
