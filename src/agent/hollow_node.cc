#include "agent/hollow_node.h"

#include <algorithm>

namespace gpufleet::agent {

bool HollowNode::Holds(std::int64_t id, std::int64_t epoch_at_least) const {
  return std::any_of(runs_.begin(), runs_.end(),
                     [&](const Run& r) { return r.id == id && r.epoch >= epoch_at_least; }) ||
         std::any_of(ends_.begin(), ends_.end(), [&](const HollowReport& r) {
           return r.id == id && r.epoch >= epoch_at_least;
         });
}

std::vector<HollowReport> HollowNode::Reports(HollowTime now) {
  // Ends by duration first, so that a run past its time is never reported running again.
  auto over = std::stable_partition(runs_.begin(), runs_.end(),
                                    [now](const Run& r) { return r.end > now; });
  for (auto it = over; it != runs_.end(); ++it) {
    ends_.push_back({it->id, it->epoch, false, 0, std::nullopt, false});
    ++finished_;
  }
  runs_.erase(over, runs_.end());

  std::vector<HollowReport> out;
  out.reserve(runs_.size() + ends_.size());
  for (const Run& r : runs_)
    out.push_back({r.id, r.epoch, true, std::nullopt, std::nullopt, false});
  out.insert(out.end(), ends_.begin(), ends_.end());
  carried_ = ends_.size();
  return out;
}

void HollowNode::Acknowledge(const std::vector<HollowStart>& starts,
                             const std::vector<std::pair<std::int64_t, std::int64_t>>& stops,
                             HollowTime now) {
  ends_.erase(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(carried_));
  carried_ = 0;
  for (const auto& stop : stops) {
    // Plain variables: clang's C++20 lambdas cannot capture structured bindings.
    const std::int64_t id = stop.first, epoch = stop.second;
    // A stop for another run of the job (an older epoch) leaves this one alone, as a real agent's.
    auto it = std::find_if(runs_.begin(), runs_.end(),
                           [&](const Run& r) { return r.id == id && r.epoch == epoch; });
    if (it == runs_.end()) continue;  // ended already (its end is told) or never here
    ends_.push_back({it->id, it->epoch, false, std::nullopt, 15, false});
    runs_.erase(it);
    ++finished_;
  }
  for (const HollowStart& start : starts) {
    // The same run again (an answer repeated) or an overtaken one: the next sync says what runs.
    if (Holds(start.id, start.epoch)) continue;
    // A later run of a job that still runs here replaces it: the server has moved on.
    std::erase_if(runs_, [&](const Run& r) { return r.id == start.id; });
    runs_.push_back({start.id, start.epoch, now + start.duration});
  }
}

void HollowNode::Registered(const std::vector<std::pair<std::int64_t, std::int64_t>>& listed) {
  std::erase_if(runs_, [&](const Run& r) {
    return std::find(listed.begin(), listed.end(), std::pair{r.id, r.epoch}) == listed.end();
  });
  for (const auto& run : listed) {
    const std::int64_t id = run.first, epoch = run.second;
    const bool here = std::any_of(runs_.begin(), runs_.end(),
                                  [&](const Run& r) { return r.id == id && r.epoch == epoch; }) ||
                      std::any_of(ends_.begin(), ends_.end(), [&](const HollowReport& r) {
                        return r.id == id && r.epoch == epoch;
                      });
    if (!here) ends_.push_back({id, epoch, false, std::nullopt, std::nullopt, true});
  }
}

}  // namespace gpufleet::agent
