#include "store/group_commit.h"

#include <algorithm>
#include <exception>
#include <iterator>
#include <utility>
#include <vector>

namespace gpufleet {

GroupCommitter::GroupCommitter(SqliteDb db, size_t max_batch)
    : db_(std::move(db)), max_batch_(std::max<size_t>(1, max_batch)), writer_([this] { Loop(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

std::future<Status> GroupCommitter::Submit(Write write) {
  Pending p{std::move(write), {}};
  std::future<Status> answer = p.done.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(p));
  }
  wake_.notify_one();
  return answer;
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void GroupCommitter::Loop() {
  std::deque<Pending> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything submitted is answered
      // Everything waiting, up to the bound: writes that arrived while the last batch was being
      // fsync'ed share the next one.
      const size_t n = std::min(queue_.size(), max_batch_);
      std::move(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n),
                std::back_inserter(batch));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    CommitBatch(batch);
    batch.clear();
  }
}

void GroupCommitter::CommitBatch(std::deque<Pending>& batch) {
  std::vector<Status> answers;
  answers.reserve(batch.size());
  // IMMEDIATE takes the write lock now, so that no write inside finds it taken by another
  // connection halfway through the batch.
  Status begun = db_.Exec("BEGIN IMMEDIATE");
  bool committed_ok = false;
  if (begun.ok()) {
    for (Pending& p : batch) {
      Status s = db_.Exec("SAVEPOINT write");
      if (s.ok()) {
        try {
          s = p.write(db_);
        } catch (const std::exception& e) {  // a write is ours, but never let one stop the writer
          s = Error{db_.path() + ": a write failed: " + e.what()};
        }
        if (!s.ok()) db_.Exec("ROLLBACK TO write").IgnoreError();  // RELEASE below ends it
        Status released = db_.Exec("RELEASE write");
        if (s.ok() && !released.ok()) s = released;
      }
      answers.push_back(std::move(s));
    }
    Status committed = db_.Exec("COMMIT");
    committed_ok = committed.ok();
    if (!committed_ok) {
      // Nothing of the batch is durable: every write gets the commit's error.
      db_.Exec("ROLLBACK").IgnoreError();
      const Error e{committed.message(), ErrorCode::kUnavailable};
      std::fill(answers.begin(), answers.end(), Status(e));
    }
  } else {
    answers.assign(batch.size(), Status(Error{begun.message(), ErrorCode::kUnavailable}));
  }
  const auto failed =
      std::count_if(answers.begin(), answers.end(), [](const Status& s) { return !s.ok(); });
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (committed_ok) ++stats_.commits;
    stats_.writes += static_cast<std::int64_t>(batch.size());
    stats_.failed_writes += failed;
    stats_.largest_batch = std::max(stats_.largest_batch, static_cast<std::int64_t>(batch.size()));
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done.set_value(std::move(answers[i]));
}

}  // namespace gpufleet
