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
#include <mutex>
#include <thread>

#include "store/sqlite_db.h"
#include "util/result.h"

namespace gpufleet {

class GroupCommitter {
 public:
  // A write runs on the writer thread inside the batch's transaction, in a savepoint of its own:
  // an error it returns undoes its own changes only, and is its answer; the batch goes on.
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

  // Queues `write`; the future says whether it is durable (ok) or why not. A failed COMMIT (the
  // disk full or failing) fails every write of its batch with kUnavailable: none of them is
  // durable, and none may be acknowledged.
  std::future<Status> Submit(Write write);
  // Submit and wait.
  Status Commit(Write write) { return Submit(std::move(write)).get(); }

  Stats stats() const;

 private:
  struct Pending {
    Write write;
    std::promise<Status> done;
  };
  void Loop();
  void CommitBatch(std::deque<Pending>& batch);

  SqliteDb db_;
  const size_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  Stats stats_;                // guarded by mu_
  std::thread writer_;         // last: started when everything above is ready
};

}  // namespace gpufleet
