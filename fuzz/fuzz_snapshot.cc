// Scheduler snapshots (sched/scheduler.h Restore): the daemon reads one back from its store after
// a restart, so any bytes must give a restored scheduler or an error ("scheduler snapshot: ..."),
// and a failed restore changes nothing. A restored scheduler must then hold its invariants,
// snapshot to bytes that restore to the same state, and take the next calls without breaking.
//
// The first byte of an input picks the configuration the snapshot is restored into: bits 0-2 the
// policy (of PolicyNames(), modulo their number), bit 3 confirm_stops, bit 4 nodes absent until
// registered. The rest is the snapshot. Seeds come from schedulers driven by random calls, written
// by this target itself: GPUFLEET_FUZZ_WRITE_SEEDS=DIR fuzz_snapshot writes them to DIR and exits
// (scripts/fuzz does this), so they always match the current snapshot format.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "fuzz_support.h"
#include "sched/scheduler.h"
#include "small_fleet.h"
#include "spec/specs.h"

namespace gpufleet::fuzz {
namespace {

const std::vector<std::string> kPolicies = {"fifo", "priority", "backfill", "sjf",
                                            "srtf", "las",      "fairshare"};

// sjf and srtf need true durations: a made-up one per id.
class FakeOracle : public DurationOracle {
 public:
  SimTime TrueDuration(JobId id) const override { return 60'000 * (1 + id % 97); }
};

Scheduler Make(std::uint8_t config_byte) {
  static const FakeOracle oracle;
  SchedulerConfig config;
  config.policy = kPolicies[config_byte % 8 % kPolicies.size()];
  config.confirm_stops = (config_byte & 8) != 0;
  config.nodes_present = (config_byte & 16) == 0;
  config.las_promote_knob = 2;
  std::vector<Tenant> tenants = {Tenant{"a", 1, 32}, Tenant{"b", 2, std::nullopt}};
  Result<Scheduler> s =
      Scheduler::Create(SmallFleet(), config, tenants, {nullptr, nullptr, &oracle});
  if (!s.ok()) Broken("Scheduler::Create", s.message());
  return std::move(s).value();
}

void Must(const Status& s, const char* what) {
  if (!s.ok()) Broken(what, s.message());
}

// Random calls, each valid or refused, as the scheduler tests make them; snapshots on the way.
void WriteSeeds(const std::string& dir) {
  int written = 0;
  for (std::uint8_t config = 0; config < 32; ++config) {
    if (config % 8 >= kPolicies.size()) continue;
    Scheduler s = Make(config);
    std::mt19937_64 rng(config);
    auto pick = [&](std::uint64_t n) { return rng() % n; };
    SimTime now = 0;
    std::vector<Decision> decisions;
    for (int step = 1; step <= 120; ++step) {
      now += static_cast<SimTime>(pick(600'000));
      const JobId id = static_cast<JobId>(pick(40));
      switch (pick(9)) {
        case 0:
        case 1: {
          JobRequest r;
          r.gpus = static_cast<std::int32_t>(1 + pick(16));
          r.estimate = static_cast<SimTime>(60'000 * (1 + pick(120)));
          r.priority = static_cast<std::int32_t>(pick(3));
          r.tenant = static_cast<std::int32_t>(pick(2));
          r.topology = static_cast<Topology>(pick(5));
          if (pick(4) == 0)
            r.gpus = 1, r.gpu_milli = static_cast<std::int32_t>(100 * (1 + pick(9)));
          if (pick(4) == 0) r.cpu_milli = static_cast<std::int64_t>(1000 * pick(64));
          if (pick(3) == 0) r.gpu_model = static_cast<ModelId>(pick(2));
          s.Submit(id, r, now).IgnoreError();
          break;
        }
        case 2:
          decisions.clear();
          Must(s.Schedule(now, decisions), "Schedule");
          for (const Decision& d : decisions) {
            if (d.kind == Decision::Kind::kStart && pick(5) != 0) {
              s.ConfirmStart(d.job, d.epoch, now).IgnoreError();
            } else if (d.kind == Decision::Kind::kPreempt && pick(2) == 0) {
              s.Released(d.job, d.epoch, now).IgnoreError();
            }
          }
          break;
        case 3:
          if (auto v = s.Find(id)) s.Finish(id, v->epoch, now).IgnoreError();
          break;
        case 4:
          s.Cancel(id, now).IgnoreError();
          break;
        case 5:
          if (pick(3) == 0) {
            s.FailNode(
                 static_cast<NodeId>(pick(static_cast<std::uint64_t>(SmallFleet().num_nodes()))),
                 now)
                .status()
                .IgnoreError();
          } else {
            s.RepairNode(
                 static_cast<NodeId>(pick(static_cast<std::uint64_t>(SmallFleet().num_nodes()))),
                 now)
                .IgnoreError();
          }
          break;
        case 6:
          s.RegisterNode(
               static_cast<NodeId>(pick(static_cast<std::uint64_t>(SmallFleet().num_nodes()))), now)
              .IgnoreError();
          break;
        case 7:
          s.Tick(now).IgnoreError();
          break;
        default:
          if (auto v = s.Find(id)) s.StartFailed(id, v->epoch, now).IgnoreError();
          break;
      }
      if (step % 30 == 0) {
        const std::string path =
            dir + "/seed-" + std::to_string(config) + "-" + std::to_string(step);
        std::ofstream out(path, std::ios::binary);
        out.put(static_cast<char>(config));
        out << s.Snapshot();
        ++written;
      }
    }
  }
  std::fprintf(stderr, "fuzz_snapshot: wrote %d seeds to %s\n", written, dir.c_str());
}

void UseRestored(Scheduler& s, std::uint8_t config) {
  const std::string snapshot = s.Snapshot();
  Scheduler again = Make(config);
  const Status round_trip = again.Restore(snapshot);
  if (!round_trip.ok()) Broken("Restore", "its own snapshot refused: " + round_trip.message());
  if (again.Snapshot() != snapshot) Broken("Restore", "a snapshot that does not round-trip");
  (void)s.PendingReasons();
  // The next calls: a pass far enough ahead to be after the restored clock, then every job's end.
  const SimTime later = SimTime{1} << 50;
  (void)s.NextWakeup(later);
  std::vector<Decision> decisions;
  if (s.Schedule(later, decisions).ok()) {
    for (const Decision& d : decisions) {
      if (d.kind == Decision::Kind::kStart) s.ConfirmStart(d.job, d.epoch, later).IgnoreError();
    }
  }
  if (auto e = s.CheckInvariants()) Broken("Restore", "after a pass: " + *e);
  for (NodeId n = 0; n < s.fleet().num_nodes(); ++n) {
    s.FailNode(n, later + 1).status().IgnoreError();
  }
  if (auto e = s.CheckInvariants()) Broken("Restore", "after every node failed: " + *e);
}

}  // namespace
}  // namespace gpufleet::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("GPUFLEET_FUZZ_WRITE_SEEDS")) {
    gpufleet::fuzz::WriteSeeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace gpufleet;
  using namespace gpufleet::fuzz;
  if (size == 0) return 0;
  const std::uint8_t config = data[0];
  Scheduler s = Make(config);
  const std::string before = s.Snapshot();
  NeverThrows("Restore", [&] {
    const Status st = s.Restore(Input(data + 1, size - 1));
    if (!st.ok()) {
      CheckError("Restore", st.message(), "scheduler snapshot");
      if (s.Snapshot() != before) Broken("Restore", "a failed restore changed the scheduler");
      return;
    }
    if (auto e = s.CheckInvariants()) Broken("Restore", "restored, its invariants fail: " + *e);
    UseRestored(s, config);
  });
  return 0;
}
