#include "store/group_commit.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <iterator>
#include <utility>
#include <vector>

namespace gpufleet {

GroupCommitter::GroupCommitter(SqliteDb db, size_t max_batch)
    : db_(std::move(db)), max_batch_(std::max<size_t>(1, max_batch)), writer_([this] { Loop(); }) {
  // Before the first write can run: the writer waits for a write, and Submit needs this object.
  sqlite3_set_authorizer(db_.handle(), &GroupCommitter::Authorize, this);
}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

std::future<Status> GroupCommitter::Submit(Write write) {
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> answer = promise->get_future();
  SubmitThen(std::move(write), [promise](Status s) { promise->set_value(std::move(s)); });
  return answer;
}

void GroupCommitter::SubmitThen(Write write, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(Pending{std::move(write), std::move(done)});
  }
  wake_.notify_one();
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

namespace {

// The committer's savepoint: a name no write uses.
constexpr const char* kSavepoint = "gpufleet_group_commit_write";

bool IsConstraint(const Status& s) {
  return s.code() == ErrorCode::kAlreadyExists || s.code() == ErrorCode::kInvalidArgument;
}

}  // namespace

// While a write runs, the transaction is the committer's: statements that control it fail to
// prepare with SQLITE_AUTH, so the write gets an error and the batch stays whole. Only statements
// prepared during a write are checked - which is why the committer's own ones are not in the
// shared cache.
int GroupCommitter::Authorize(void* self, int action, const char* what, const char* name,
                              const char*, const char*) {
  (void)what;
  if (!static_cast<GroupCommitter*>(self)->write_running_) return SQLITE_OK;
  if (action == SQLITE_TRANSACTION) return SQLITE_DENY;
  if (action == SQLITE_SAVEPOINT && name != nullptr && std::strcmp(name, kSavepoint) == 0)
    return SQLITE_DENY;
  return SQLITE_OK;
}

Status GroupCommitter::RunOwn(const std::string& sql) {
  auto it = own_statements_.find(sql);
  if (it == own_statements_.end()) {
    Result<SqlStatement> prepared = db_.Prepare(sql);
    if (!prepared.ok()) return prepared.error();
    it = own_statements_.emplace(sql, std::move(prepared).value()).first;
  }
  Status s = it->second.Run();
  it->second.Reset();  // holds no lock or snapshot until its next run
  return s;
}

Status GroupCommitter::RunOneWrite(Pending& p) {
  write_running_ = true;
  Status s;
  try {
    s = p.write(db_);
  } catch (const std::exception& e) {  // a write is ours, but never let one stop the writer
    s = Error{db_.path() + ": a write failed: " + e.what()};
  } catch (...) {
    s = Error{db_.path() + ": a write failed (an exception that is not a std::exception)"};
  }
  write_running_ = false;
  return s;
}

GroupCommitter::Outcome GroupCommitter::RunInTransaction(std::deque<Pending>& batch, size_t first,
                                                         size_t last,
                                                         std::vector<Status>& answers) {
  // Fails the whole range: nothing of it will be committed.
  auto fail_all = [&](const std::string& why) {
    const Error e{why, ErrorCode::kUnavailable};
    for (size_t i = first; i < last; ++i) answers[i] = Status(e);
    RunOwn("ROLLBACK").IgnoreError();  // if SQLite has not already
    return Outcome{Status(e), false};
  };
  // IMMEDIATE takes the write lock now, so that no write inside finds it taken by another
  // connection halfway through the batch.
  if (Status begun = RunOwn("BEGIN IMMEDIATE"); !begun.ok()) return fail_all(begun.message());
  const std::string savepoint = std::string("SAVEPOINT ") + kSavepoint;
  const std::string rollback_to = std::string("ROLLBACK TO ") + kSavepoint;
  const std::string release = std::string("RELEASE ") + kSavepoint;
  for (size_t i = first; i < last; ++i) {
    if (Status s = RunOwn(savepoint); !s.ok()) return fail_all(s.message());
    Status s = RunOneWrite(batch[i]);
    // SQLite may roll the whole transaction back by itself (a full disk, no memory, a busy
    // database): then nothing of the batch so far is there, whatever the writes answered.
    if (sqlite3_get_autocommit(db_.handle())) {
      return fail_all(db_.path() + ": the batch's transaction was rolled back" +
                      (s.ok() ? std::string() : " (" + s.message() + ")") +
                      "; nothing of it is stored");
    }
    if (!s.ok()) {
      if (Status undone = RunOwn(rollback_to); !undone.ok()) return fail_all(undone.message());
    }
    if (Status released = RunOwn(release); !released.ok()) return fail_all(released.message());
    answers[i] = std::move(s);
  }
  Status committed = RunOwn("COMMIT");
  if (!committed.ok()) RunOwn("ROLLBACK").IgnoreError();
  return Outcome{std::move(committed), true};
}

void GroupCommitter::CommitBatch(std::deque<Pending>& batch) {
  std::vector<Status> answers(batch.size());
  std::int64_t commits = 0;
  if (!broken_.empty()) {
    answers.assign(batch.size(), Status(Error{broken_, ErrorCode::kUnavailable}));
    return Finish(batch, answers, 0);
  }
  const Outcome all = RunInTransaction(batch, 0, batch.size(), answers);
  const Status& c = all.status;
  if (c.ok()) {
    commits = 1;
  } else if (!all.at_commit) {
    // BEGIN failed, or SQLite rolled the batch back: every write carries the error already.
  } else if (IsConstraint(c)) {
    // A constraint checked at COMMIT (a deferred foreign key) is one write's fault: run the
    // writes that succeeded again, one per transaction, so that only the culprit fails.
    for (size_t i = 0; i < batch.size() && broken_.empty(); ++i) {
      if (!answers[i].ok()) continue;
      const Outcome alone = RunInTransaction(batch, i, i + 1, answers);
      if (alone.status.ok()) {
        ++commits;
      } else if (alone.at_commit && IsConstraint(alone.status)) {
        answers[i] = alone.status;
      } else if (alone.at_commit) {
        broken_ = StoreFailed(alone.status);
        answers[i] =
            Status(Error{"outcome unknown: " + alone.status.message(), ErrorCode::kUnavailable});
      }
    }
  } else {
    // COMMIT itself failed for the disk: after a failed fsync the log may or may not hold the
    // batch, and the kernel may have dropped what it had not written. Stop taking writes.
    broken_ = StoreFailed(c);
    answers.assign(batch.size(),
                   Status(Error{"outcome unknown: " + c.message(), ErrorCode::kUnavailable}));
  }
  Finish(batch, answers, commits);
}

std::string GroupCommitter::StoreFailed(const Status& why) const {
  return db_.path() +
         ": the store failed and takes no more writes (restart the server): " + why.message();
}

void GroupCommitter::Finish(std::deque<Pending>& batch, std::vector<Status>& answers,
                            std::int64_t commits) {
  const auto failed =
      std::count_if(answers.begin(), answers.end(), [](const Status& s) { return !s.ok(); });
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.commits += commits;
    stats_.writes += static_cast<std::int64_t>(batch.size());
    stats_.failed_writes += failed;
    stats_.largest_batch = std::max(stats_.largest_batch, static_cast<std::int64_t>(batch.size()));
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(answers[i]));
}

}  // namespace gpufleet
