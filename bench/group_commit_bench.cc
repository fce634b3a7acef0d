// Durable submissions through the store's group commit (store/group_commit.h), as `gpufleet serve`
// will make them: 64 client threads, each committing one job row (~320 bytes, the size of a
// submitted job's JSON) and waiting until it is on disk before the next, as a client waits for
// its 201. The figure to read is items_per_second (acknowledged submissions a second); the
// control plane's target is 20,000 (docs/PERFORMANCE.md). `fsyncs/write` is the share of an fsync
// each write paid: 1 without group commit.
//
// The database is written in the working directory (run from the repository or the build
// folder: a real disk, where an fsync costs what it costs in production, unlike a tmpfs /tmp).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "store/group_commit.h"

namespace gpufleet {
namespace {

const std::string kSpec =
    R"({"name":"pretrain-70b-ablation-17","tenant":"research","user":"alice","gpus":64,)"
    R"("gpu_model":"h100","topology":"pod","priority":100,"estimate_s":86400,)"
    R"("command":"torchrun --nnodes 8 --nproc-per-node 8 train.py --config ablation-17.yaml",)"
    R"("checkpoint":{"interval_s":1800,"write_s":40},"idempotency_key":"4f1c2a9e-77b1-4c1e"})";

std::unique_ptr<GroupCommitter> store;
std::atomic<std::int64_t> next_id{0};
std::string db_path;

void BM_DurableSubmissions(benchmark::State& state) {
  if (state.thread_index() == 0) {
    db_path = "gpufleet-bench-store-" + std::to_string(::getpid()) + ".db";
    Result<SqliteDb> db = SqliteDb::Open(db_path);
    if (!db.ok() || !db.value()
                         .Exec("CREATE TABLE jobs (id INTEGER PRIMARY KEY, spec TEXT NOT NULL, "
                               "state INTEGER NOT NULL)")
                         .ok()) {
      // No return: every thread must reach the loop, where they all stop (no store).
      state.SkipWithError(db.ok() ? "cannot create the table" : db.message().c_str());
    } else {
      store = std::make_unique<GroupCommitter>(std::move(db).value());
    }
  }
  for (auto _ : state) {
    if (!store) break;
    const std::int64_t id = next_id++;
    const Status s = store->Commit([id](SqliteDb& db) {
      // A cached statement would save a little; the daemon's writes prepare theirs once too,
      // but a prepare per write keeps this honest about a write that was not planned for.
      Result<SqlStatement> insert = db.Prepare("INSERT INTO jobs VALUES (?1, ?2, 0)");
      if (!insert.ok()) return insert.status();
      return insert.value().Bind(1, id).Bind(2, kSpec).Run();
    });
    if (!s.ok()) {
      state.SkipWithError(s.message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0 && store) {
    const GroupCommitter::Stats stats = store->stats();
    state.counters["fsyncs/write"] = static_cast<double>(stats.commits) /
                                     static_cast<double>(std::max<std::int64_t>(1, stats.writes));
    state.counters["largest_batch"] = static_cast<double>(stats.largest_batch);
    store.reset();
    std::filesystem::remove(db_path);
    std::filesystem::remove(db_path + "-wal");
    std::filesystem::remove(db_path + "-shm");
  }
}
BENCHMARK(BM_DurableSubmissions)->Threads(1)->Threads(64)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace gpufleet
