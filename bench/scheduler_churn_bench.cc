// A scheduler that runs for months: two million jobs submitted, started, confirmed and finished
// through the checked API on the 403,200-GPU Stargate-class fleet at about 90% load, about ten
// thousand alive at a time.
// Memory must follow the jobs alive, not the jobs ever submitted: the counters give the resident
// set after each half million jobs and the slots the scheduler ever allocated.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "bench_fleets.h"
#include "sched/scheduler.h"
#include "util/rng.h"

namespace gpufleet {
namespace {

double ResidentMib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

void BM_SchedulerChurn2M(benchmark::State& state) {
  const Fleet& fleet = StargateFleet();
  for (auto _ : state) {
    SchedulerConfig config;
    config.policy = "backfill";
    Scheduler s = Scheduler::Create(fleet, config).value();
    Rng rng(7);
    constexpr JobId kJobs = 2'000'000;
    // About 90% of the fleet busy: 230 arrivals a minute of 1-256 GPUs (mean 51) running 1-60
    // minutes (mean 30.5): 230 x 51 x 30.5 GPU-minutes a minute is 358k of 403k GPUs.
    constexpr int kPerTick = 230;
    constexpr int kMaxRun = 60;
    JobId next = 0;
    SimTime now = 0;
    std::vector<Decision> out;
    std::vector<std::vector<std::pair<JobId, Epoch>>> ending(kMaxRun + 1);  // by minute, modulo
    std::size_t most_live = 0;
    for (std::int64_t tick = 0; next < kJobs; ++tick) {
      // A minute: the jobs due end, new ones arrive, one pass, the starts confirmed.
      now += kMinute;
      for (const auto& [id, epoch] : ending[static_cast<size_t>(tick % (kMaxRun + 1))]) {
        if (!s.Finish(id, epoch, now).ok()) state.SkipWithError("finish refused");
      }
      ending[static_cast<size_t>(tick % (kMaxRun + 1))].clear();
      for (int k = 0; k < kPerTick && next < kJobs; ++k) {
        JobRequest r;
        r.gpus = 1 << rng.Below(9);  // 1 to 256 GPUs
        r.estimate = kHour;
        r.topology = r.gpus > 4 ? Topology::kLeaf : Topology::kAny;
        if (!s.Submit(next++, r, now).ok()) state.SkipWithError("submit refused");
        if (next % 500'000 == 0) {
          state.counters["rss_mib_at_" + std::to_string(next / 500'000 * 500) + "k"] =
              ResidentMib();
        }
      }
      out.clear();
      if (!s.Schedule(now, out).ok()) state.SkipWithError("schedule refused");
      for (const Decision& d : out) {
        if (!s.ConfirmStart(d.job, d.epoch, now).ok()) state.SkipWithError("confirm refused");
        const auto run = static_cast<std::int64_t>(1 + rng.Below(kMaxRun));
        ending[static_cast<size_t>((tick + run) % (kMaxRun + 1))].emplace_back(d.job, d.epoch);
      }
      most_live = std::max(most_live, s.live_jobs());
    }
    state.counters["most_live"] = static_cast<double>(most_live);
    state.counters["slots"] = static_cast<double>(s.slot_capacity());
    state.counters["live_at_end"] = static_cast<double>(s.live_jobs());
  }
}

BENCHMARK(BM_SchedulerChurn2M)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace gpufleet
