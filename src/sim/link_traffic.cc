#include "sim/link_traffic.h"

#include <algorithm>
#include <cmath>

namespace gpufleet {
namespace {

// A copy is complete once what is left of it is below a nanogigabyte (a byte) for each GB: what
// a millisecond's rounding up leaves of floating-point noise, never a real remainder.
bool Done(double left_gb, double gb) { return left_gb <= 1e-9 * std::max(1.0, gb); }

// Whole milliseconds for `ms` computed in floating point, rounded up, the noise of a division
// that should be exact (30,000.000000001) not counted as a millisecond more.
SimTime CeilMs(double ms) {
  const double up = std::ceil(ms - 1e-6);
  return up < static_cast<double>(kLatestTime) ? static_cast<SimTime>(std::max(0.0, up))
                                               : kLatestTime;
}

}  // namespace

int LinkTraffic::SlotOf(int from, int to, double gb_s) {
  const std::int64_t key = (static_cast<std::int64_t>(from) << 32) | static_cast<std::uint32_t>(to);
  const auto [it, added] = slot_of_pair_.emplace(key, static_cast<int>(slots_.size()));
  if (added) slots_.push_back(Slot{gb_s, 0, 0, {}});
  return it->second;
}

void LinkTraffic::Drain(Slot& s, SimTime now) {
  if (now <= s.since) return;
  std::size_t flowing = 0;
  for (const Flow& f : s.flows) flowing += f.flows_from <= s.since ? 1 : 0;
  if (flowing > 0) {
    const double moved =
        static_cast<double>(now - s.since) / kSecond * s.gb_s / static_cast<double>(flowing);
    for (Flow& f : s.flows) {
      if (f.flows_from <= s.since) f.left_gb = std::max(0.0, f.left_gb - moved);
    }
  }
  s.since = now;
}

int LinkTraffic::Begin(JobId job, int from, int to, const SiteLink& link, double gb, SimTime now,
                       SimTime begin) {
  const int slot = SlotOf(from, to, link.gb_s);
  Slot& s = slots_[static_cast<size_t>(slot)];
  Drain(s, now);
  const SimTime latency = CeilMs(link.latency_s * kSecond);
  const SimTime flows_from = begin > kLatestTime - latency ? kLatestTime : begin + latency;
  s.flows.push_back(Flow{job, flows_from, gb, gb});
  ++s.epoch;
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
  const double moved = flow->gb - flow->left_gb;
  s.flows.erase(flow);
  ++s.epoch;
  return {slot, moved};
}

SimTime LinkTraffic::NextEvent(int slot) const {
  const Slot& s = slots_[static_cast<size_t>(slot)];
  SimTime next = kNever;
  std::size_t flowing = 0;
  double least_left = 0;
  for (const Flow& f : s.flows) {
    if (f.flows_from > s.since) {
      next = std::min(next, f.flows_from);
    } else if (flowing++ == 0 || f.left_gb < least_left) {
      least_left = f.left_gb;
    }
  }
  if (flowing > 0) {
    const SimTime take =
        CeilMs(least_left * static_cast<double>(flowing) / s.gb_s * static_cast<double>(kSecond));
    next = std::min(next, s.since > kLatestTime - take ? kLatestTime : s.since + take);
  }
  return next;
}

std::vector<JobId> LinkTraffic::Advance(int slot, SimTime now) {
  Slot& s = slots_[static_cast<size_t>(slot)];
  Drain(s, now);
  std::vector<JobId> done;
  std::erase_if(s.flows, [&](const Flow& f) {
    if (f.flows_from > now || !Done(f.left_gb, f.gb)) return false;
    done.push_back(f.job);
    slot_of_job_.erase(f.job);
    return true;
  });
  ++s.epoch;
  return done;
}

}  // namespace gpufleet
