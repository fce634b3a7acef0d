#include "sim/link_traffic.h"

#include <algorithm>
#include <cmath>

namespace gpufleet {
namespace {

// Whole milliseconds for `ms` computed in floating point, rounded up, the noise of a division
// that should be exact (30,000.000000001) not counted as a millisecond more.
SimTime CeilMs(double ms) {
  const double up = std::ceil(ms - 1e-6);
  return up < static_cast<double>(kLatestTime) ? static_cast<SimTime>(std::max(0.0, up))
                                               : kLatestTime;
}

}  // namespace

std::int64_t LinkTraffic::PairKey(int from, int to) {
  return (static_cast<std::int64_t>(from) << 32) | static_cast<std::uint32_t>(to);
}

int LinkTraffic::SlotOf(int from, int to, double gb_s) {
  const auto [it, added] =
      slot_of_pair_.emplace(PairKey(from, to), static_cast<int>(slots_.size()));
  if (added) slots_.push_back(Slot{gb_s, 0, kNever, {}});
  return it->second;
}

std::size_t LinkTraffic::Flowing(const Slot& s) {
  std::size_t flowing = 0;
  for (const Flow& f : s.flows) flowing += f.flows_from <= s.since ? 1 : 0;
  return flowing;
}

SimTime LinkTraffic::MsLeft(const Slot& s, double left_gb, std::size_t flowing) {
  return CeilMs(left_gb * static_cast<double>(flowing) / s.gb_s * static_cast<double>(kSecond));
}

void LinkTraffic::Drain(Slot& s, SimTime now) {
  while (now > s.since) {
    // Up to the next copy to start flowing, if one does before `now`: the share changes there.
    SimTime to = now;
    for (const Flow& f : s.flows) {
      if (f.flows_from > s.since && f.flows_from < to) to = f.flows_from;
    }
    if (const std::size_t flowing = Flowing(s); flowing > 0) {
      const double moved =
          static_cast<double>(to - s.since) / kSecond * s.gb_s / static_cast<double>(flowing);
      for (Flow& f : s.flows) {
        if (f.flows_from <= s.since) f.left_gb = std::max(0.0, f.left_gb - moved);
      }
    }
    s.since = to;
  }
}

int LinkTraffic::Begin(JobId job, int from, int to, const SiteLink& link, double gb, SimTime now,
                       SimTime begin) {
  const int slot = SlotOf(from, to, link.gb_s);
  Slot& s = slots_[static_cast<size_t>(slot)];
  Drain(s, now);
  const SimTime latency = CeilMs(link.latency_s * kSecond);
  const SimTime flows_from = begin > kLatestTime - latency ? kLatestTime : begin + latency;
  s.flows.push_back(Flow{job, flows_from, gb, gb});
  slot_of_job_[job] = slot;
  return slot;
}

LinkTraffic::Stopped LinkTraffic::Stop(JobId job, SimTime now) {
  const auto it = slot_of_job_.find(job);
  if (it == slot_of_job_.end()) return {};
  const int slot = it->second;
  slot_of_job_.erase(it);
  Slot& s = slots_[static_cast<size_t>(slot)];
  Drain(s, now);
  const auto flow =
      std::find_if(s.flows.begin(), s.flows.end(), [job](const Flow& f) { return f.job == job; });
  const bool complete = flow->flows_from <= now && MsLeft(s, flow->left_gb, Flowing(s)) == 0;
  const Stopped stopped{slot, complete ? flow->gb : flow->gb - flow->left_gb, complete};
  s.flows.erase(flow);
  return stopped;
}

int LinkTraffic::InFlight(int from, int to) const {
  const auto it = slot_of_pair_.find(PairKey(from, to));
  return it == slot_of_pair_.end()
             ? 0
             : static_cast<int>(slots_[static_cast<size_t>(it->second)].flows.size());
}

SimTime LinkTraffic::NextEvent(int slot) const {
  const Slot& s = slots_[static_cast<size_t>(slot)];
  const std::size_t flowing = Flowing(s);
  SimTime next = kNever;
  for (const Flow& f : s.flows) {
    const SimTime at = f.flows_from > s.since ? f.flows_from : [&] {
      const SimTime take = MsLeft(s, f.left_gb, flowing);
      return s.since > kLatestTime - take ? kLatestTime : s.since + take;
    }();
    next = std::min(next, at);
  }
  return next;
}

SimTime LinkTraffic::ToQueue(int slot) {
  Slot& s = slots_[static_cast<size_t>(slot)];
  const SimTime next = NextEvent(slot);
  if (next == kNever || s.queued_at <= next) return kNever;
  s.queued_at = next;
  return next;
}

bool LinkTraffic::Due(int slot, SimTime t) {
  Slot& s = slots_[static_cast<size_t>(slot)];
  if (t != s.queued_at) return false;
  s.queued_at = kNever;
  return true;
}

std::vector<JobId> LinkTraffic::Advance(int slot, SimTime now) {
  Slot& s = slots_[static_cast<size_t>(slot)];
  Drain(s, now);
  const std::size_t flowing = Flowing(s);
  std::vector<JobId> done;
  std::erase_if(s.flows, [&](const Flow& f) {
    if (f.flows_from > now || MsLeft(s, f.left_gb, flowing) > 0) return false;
    done.push_back(f.job);
    slot_of_job_.erase(f.job);
    return true;
  });
  return done;
}

}  // namespace gpufleet
