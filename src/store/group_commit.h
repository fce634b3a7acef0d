// Group commit (docs/ARCHITECTURE.md, "The store"): one writer thread owns the database connection
// and commits every write waiting for it in one transaction. An fsync costs milliseconds; one per
// write would cap durable submissions at a few hundred a second, one per batch lets them share it,
// so that acknowledging a write only after it is on disk costs no throughput under load. A write's
// future is fulfilled after COMMIT returns: only then may the caller acknowledge it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/sqlite_db.h"
#include "util/result.h"

namespace gpufleet {

class GroupCommitter {
 public:
  // A write runs on the writer thread inside the batch's transaction, in a savepoint of its own:
  // an error it returns undoes its own changes only, and is its answer; the batch goes on. A
  // write may not control the transaction (BEGIN, COMMIT, ROLLBACK, the committer's savepoint):
  // such a statement is refused (SQLITE_AUTH) and fails that write. A write touches only the
  // database, so that it can run again: a batch whose COMMIT fails on a constraint is re-run one
  // write per transaction, to fail only the write that broke it.
  using Write = std::function<Status(SqliteDb&)>;

  struct Stats {
    std::int64_t commits = 0;        // transactions committed (each one fsync of the log)
    std::int64_t writes = 0;         // writes answered, committed or not
    std::int64_t failed_writes = 0;  // writes that returned an error, or whose commit failed
    std::int64_t largest_batch = 0;  // the most writes one transaction held
  };

  // Takes over `db`. `max_batch` bounds one transaction (and so the latency a write adds to the
  // others), at least 1.
  explicit GroupCommitter(SqliteDb db, size_t max_batch = 4096);
  // Commits what was submitted before, then stops.
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `write`; the future says whether it is durable (ok) or why not. Only an ok answer may
  // be acknowledged. A COMMIT that fails for the disk (full, I/O error) leaves the outcome
  // unknown - after an fsync error the log may still hold the batch - so every write of the batch
  // gets kUnavailable ("outcome unknown"), and the committer refuses every later write: the server
  // must restart, and clients retry with their idempotency keys. If SQLite rolls the transaction
  // back by itself (it may on a full disk or out of memory), the batch's writes fail with
  // kUnavailable: none of them is durable.
  std::future<Status> Submit(Write write);
  // The same, answered through `done`, which runs on the writer thread after the batch's COMMIT
  // (keep it short: it delays the next batch), so that a server need not hold a thread per
  // write in flight.
  using Done = std::function<void(Status)>;
  void SubmitThen(Write write, Done done);
  // Submit and wait.
  Status Commit(Write write) { return Submit(std::move(write)).get(); }

  Stats stats() const;

 private:
  struct Pending {
    Write write;
    Done done;
  };
  void Loop();
  void CommitBatch(std::deque<Pending>& batch);
  // Runs writes [first, last) of `batch` in one transaction and answers them in `answers`; the
  // outcome is the COMMIT's (answers then as the writes said, for the caller to override), or an
  // error that `answers` already carries for every write of the range.
  struct Outcome {
    Status status;
    bool at_commit = false;  // the error is COMMIT's (every write before it succeeded)
  };
  Outcome RunInTransaction(std::deque<Pending>& batch, size_t first, size_t last,
                           std::vector<Status>& answers);
  // Answers the batch and counts it.
  void Finish(std::deque<Pending>& batch, std::vector<Status>& answers, std::int64_t commits);
  std::string StoreFailed(const Status& why) const;
  Status RunOneWrite(Pending& p);
  // Runs one of the committer's own statements (BEGIN, COMMIT, its savepoint). They are prepared
  // once and held here, outside the connection's shared cache, so that a write cannot run them
  // through SqliteDb::Cached without the authorizer seeing it.
  Status RunOwn(const std::string& sql);
  static int Authorize(void* self, int action, const char* what, const char* name, const char*,
                       const char*);

  SqliteDb db_;
  // Writer thread only. The authorizer is installed once, for the connection's life: installing
  // one expires every prepared statement (SQLite recompiles them all), so switching it on and off
  // around each write made every cached statement compile again per write.
  bool write_running_ = false;
  std::unordered_map<std::string, SqlStatement> own_statements_;
  const size_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  Stats stats_;                // guarded by mu_
  std::string broken_;         // writer thread only: why the store takes no more writes
  std::thread writer_;         // last: started when everything above is ready
};

}  // namespace gpufleet
