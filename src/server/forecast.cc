#include "server/forecast.h"

#include <algorithm>
#include <queue>
#include <tuple>

namespace gpufleet {
namespace {

// A run's estimated end: when its estimate is used up, and not before `now` (a job past its
// estimate is taken to end at once; nothing better is known).
SimTime EstimatedEnd(const JobView& v, SimTime estimate, SimTime now) {
  const SimTime left = std::max<SimTime>(0, estimate - v.attained);
  return std::max(now, v.run_start + left);
}

}  // namespace

Result<Forecast> RunForecast(const ForecastInput& in) {
  // Stops are confirmed by this driver at once: a victim's grace period is not modelled.
  SchedulerConfig config = in.config;
  Result<Scheduler> created = Scheduler::Create(*in.fleet, config, in.tenants);
  if (!created.ok()) return created.error();
  Scheduler s = std::move(created).value();
  if (Status st = s.Restore(in.snapshot); !st.ok()) return Error{st.message(), st.code()};

  Forecast out;
  out.now = in.now;
  auto estimate_of = [&](JobId id) {
    const auto it = in.estimates.find(id);
    return it == in.estimates.end() ? SimTime{0} : it->second;
  };
  // Ends to come: (time, job, epoch), earliest first; an entry whose epoch is no longer the
  // job's is stale (it was preempted and started again).
  using End = std::tuple<SimTime, JobId, Epoch>;
  std::priority_queue<End, std::vector<End>, std::greater<>> ends;
  SimTime t = in.now;
  for (const auto& [id, estimate] : in.estimates) {
    std::optional<JobView> v = s.Find(id);
    if (!v) continue;
    switch (v->state) {
      case JobState::kPending:
        out.jobs[id] = JobForecast{};
        break;
      case JobState::kStarting:
        if (!s.ConfirmStart(id, v->epoch, t).ok()) continue;
        v = s.Find(id);
        [[fallthrough]];
      case JobState::kRunning: {
        const SimTime end = EstimatedEnd(*v, estimate, t);
        out.jobs[id] = JobForecast{v->run_start, end};
        ends.emplace(end, id, v->epoch);
        break;
      }
      case JobState::kStopping:
        // It lets go of its GPUs now (its grace is not modelled) and waits, or is gone.
        if (!s.Released(id, v->epoch, t).ok()) continue;
        if (s.Find(id)) out.jobs[id] = JobForecast{};
        break;
    }
  }

  std::vector<Decision> decisions;
  const SimTime until = in.now + in.horizon;
  while (out.passes < in.max_passes) {
    decisions.clear();
    if (Status st = s.Schedule(t, decisions); !st.ok()) return Error{st.message(), st.code()};
    ++out.passes;
    for (const Decision& d : decisions) {
      if (d.kind == Decision::Kind::kStart) {
        if (!s.ConfirmStart(d.job, d.epoch, t).ok()) continue;
        JobForecast& f = out.jobs[d.job];
        if (f.start == kNever) f.start = t;  // its first start; a restart after preemption later
        const std::optional<JobView> v = s.Find(d.job);
        f.end = EstimatedEnd(*v, estimate_of(d.job), t);
        ends.emplace(f.end, d.job, d.epoch);
      } else {
        s.Released(d.job, d.epoch, t).IgnoreError();
        out.jobs[d.job].end = kNever;  // it waits again; its next start decides
      }
    }
    if (s.pending() == 0) break;
    // The next moment anything can change: a run ends, or the policy wants a pass.
    while (!ends.empty()) {
      const auto [time, id, epoch] = ends.top();
      const std::optional<JobView> v = s.Find(id);
      if (v && v->epoch == epoch && v->state == JobState::kRunning) break;
      ends.pop();  // stale: preempted since
    }
    const SimTime wakeup = s.NextWakeup(t);
    const SimTime next = std::min(ends.empty() ? kNever : std::get<0>(ends.top()), wakeup);
    if (next == kNever || next > until) break;  // nothing will ever free what they wait for
    t = std::max(t, next);
    while (!ends.empty() && std::get<0>(ends.top()) <= t) {
      const auto [time, id, epoch] = ends.top();
      ends.pop();
      s.Finish(id, epoch, t).IgnoreError();  // a stale entry is refused, as it should be
    }
    if (wakeup <= t) s.Tick(t).IgnoreError();
  }
  for (auto& [id, f] : out.jobs) {
    if (f.start != kNever && f.start > until) f = JobForecast{};
  }
  return out;
}

}  // namespace gpufleet
