// The EASY reservation without replaying every running job (issue 15; docs/ARCHITECTURE.md,
// "Backfill"). The replay walks the releases of all running jobs in order of estimated end,
// counting free GPUs per subtree of the head's constraint level, until one subtree holds the
// gang. Per subtree, that count only depends on the subtree's own free GPUs and releases; so
// this keeps, for one level, each subtree's releases in the replay's order, and for a gang size
// and GPU model each subtree's crossing - the release after which its free GPUs reach the gang -
// ordered across subtrees. After a start or a stop only the subtrees it touched are looked at
// again. The answer is the replay's, release for release (BackfillPolicy compares the two with
// SchedulerConfig::check_reservations).
//
// Worth it where a level has several subtrees (a pod, a row, a rack: a few to a few thousand
// releases each); for a fleet or its few sites it would be the replay again, and BackfillPolicy
// replays there.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "model/fleet.h"
#include "model/job.h"
#include "sched/capacity_index.h"
#include "util/time.h"

namespace gpufleet {

class SubtreeReleases {
 public:
  // A running job's GPUs in one subtree, given back at its estimated end. `span`: the subtree's
  // place among the job's subtrees at the level (the replay adds a job's spans in that order).
  struct Release {
    SimTime end = 0;
    JobId id = 0;
    std::int32_t slot = 0;
    std::int32_t span = 0;
    std::int32_t gpus = 0;
    ModelId model = 0;
  };
  // What the replay finds for a gang: the subtree, the release that completes it (its end and
  // job) and the GPUs of the subtree free at `shadow` = max(end, now) beyond the gang's.
  struct Crossing {
    TopoId subtree = -1;
    SimTime shadow = 0;
    JobId blocker = -1;
    std::int32_t extra = 0;
  };

  SubtreeReleases(const Fleet& fleet, Level level);
  Level level() const { return level_; }
  // How many subtrees the fleet has at `level`.
  static std::int32_t SubtreesAt(const Fleet& fleet, Level level);

  void Add(TopoId subtree, const Release& r);
  // `r` as added (its end then).
  void Remove(TopoId subtree, const Release& r);
  // Free GPUs changed other than by a start or stop (a node failed, came back or was drained):
  // every crossing known is stale.
  void ForgetCrossings() { caches_.clear(); }

  // The replay's answer for a gang of `gpus` of `model` at `now`, the free GPUs read from
  // `index`; nullopt when no subtree ever holds it.
  std::optional<Crossing> Find(const CapacityIndex& index, std::int32_t gpus, ModelId model,
                               SimTime now);

 private:
  using Key = std::tuple<SimTime, JobId, std::int32_t, std::int32_t>;  // end, id, slot, span
  static Key KeyOf(const Release& r) { return {r.end, r.id, r.slot, r.span}; }
  // The crossings of every subtree for one gang size and model, and which are out of date.
  struct Crossings {
    std::int32_t gpus = 0;
    ModelId model = 0;
    std::uint64_t last_used = 0;
    std::vector<std::optional<Key>> of;            // per subtree (dense)
    std::set<std::pair<Key, std::int32_t>> order;  // (crossing, subtree) of those that cross
    std::vector<std::int32_t> stale;               // subtrees whose releases or free GPUs changed
    std::vector<std::uint8_t> is_stale;
  };
  std::optional<Key> CrossingOf(const CapacityIndex& index, std::int32_t dense, std::int32_t gpus,
                                ModelId model) const;
  void Update(const CapacityIndex& index, Crossings& c, std::int32_t dense);
  Crossings& CrossingsFor(const CapacityIndex& index, std::int32_t gpus, ModelId model);
  void MarkStale(std::int32_t dense);

  Level level_;
  std::vector<std::int32_t> dense_of_;  // per TopoId: its place among the level's subtrees, or -1
  std::vector<TopoId> subtree_of_;      // per place: the TopoId
  // One subtree's releases in the replay's order, in sorted blocks of a few hundred: a pod holds
  // thousands, and a start or stop moves at most one block's tail.
  class SortedReleases {
   public:
    void Insert(const Release& r);
    void Erase(const Release& r);
    template <typename F>
    void ForEach(F&& f) const {  // in order while f returns true
      for (const std::vector<Release>& b : blocks_) {
        for (const Release& r : b) {
          if (!f(r)) return;
        }
      }
    }

   private:
    std::vector<std::vector<Release>> blocks_;  // none empty; each block's keys below the next's
  };
  std::vector<SortedReleases> releases_;  // per place
  std::vector<Crossings> caches_;  // a few gang sizes and models, the least recently used replaced
  std::uint64_t uses_ = 0;
};

}  // namespace gpufleet
