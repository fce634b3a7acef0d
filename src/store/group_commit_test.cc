#include "store/group_commit.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace gpufleet {
namespace {

using testing::ScratchDir;

SqliteDb OpenJobs(const std::string& path) {
  SqliteDb db = SqliteDb::Open(path).value();
  EXPECT_TRUE(db.Exec("CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, spec TEXT)").ok());
  return db;
}

GroupCommitter::Write InsertJob(std::int64_t id) {
  return [id](SqliteDb& db) {
    Result<SqlStatement> st = db.Prepare("INSERT INTO jobs VALUES (?1, 'spec')");
    if (!st.ok()) return st.status();
    return st.value().Bind(1, id).Run();
  };
}

std::int64_t CountJobs(const std::string& path) {
  return SqliteDb::Open(path).value().QueryInt("SELECT count(*) FROM jobs").value();
}

// Holds the writer thread inside a first write until released, so that what is submitted
// meanwhile waits, as writes arriving during an fsync do.
class WriterGate {
 public:
  GroupCommitter::Write Hold() {
    return [this](SqliteDb&) {
      entered_.set_value();
      released_.get_future().wait();
      return Status::Ok();
    };
  }
  void WaitUntilHeld() { entered_.get_future().wait(); }
  void Release() { released_.set_value(); }

 private:
  std::promise<void> entered_, released_;
};

TEST(GroupCommit, WritesWaitingTogetherShareOneCommit) {
  ScratchDir dir;
  const std::string path = dir.Path("state.db");
  WriterGate gate;
  {
    GroupCommitter store(OpenJobs(path));
    std::future<Status> first = store.Submit(gate.Hold());
    gate.WaitUntilHeld();
    std::vector<std::future<Status>> answers;
    for (int id = 0; id < 100; ++id) answers.push_back(store.Submit(InsertJob(id)));
    gate.Release();
    ASSERT_TRUE(first.get().ok());
    for (auto& a : answers) ASSERT_TRUE(a.get().ok());
    // The held write alone, then the hundred that waited for it: two transactions.
    const GroupCommitter::Stats s = store.stats();
    EXPECT_EQ(s.commits, 2);
    EXPECT_EQ(s.writes, 101);
    EXPECT_EQ(s.largest_batch, 100);
    EXPECT_EQ(s.failed_writes, 0);
  }
  EXPECT_EQ(CountJobs(path), 100);
}

TEST(GroupCommit, ABatchIsBounded) {
  ScratchDir dir;
  WriterGate gate;
  GroupCommitter store(OpenJobs(dir.Path("state.db")), /*max_batch=*/10);
  std::future<Status> first = store.Submit(gate.Hold());
  gate.WaitUntilHeld();
  std::vector<std::future<Status>> answers;
  for (int id = 0; id < 95; ++id) answers.push_back(store.Submit(InsertJob(id)));
  gate.Release();
  for (auto& a : answers) ASSERT_TRUE(a.get().ok());
  // 1 + ceil(95 / 10) transactions.
  EXPECT_EQ(store.stats().commits, 11);
  EXPECT_EQ(store.stats().largest_batch, 10);
}

TEST(GroupCommit, AFailedWriteFailsAloneAndLeavesNothing) {
  ScratchDir dir;
  const std::string path = dir.Path("state.db");
  WriterGate gate;
  {
    GroupCommitter store(OpenJobs(path));
    std::future<Status> first = store.Submit(gate.Hold());
    gate.WaitUntilHeld();
    std::future<Status> a = store.Submit(InsertJob(1));
    // Inserts job 2, then fails on a duplicate of job 1: its own first insert must be undone.
    std::future<Status> dup = store.Submit([](SqliteDb& db) {
      if (Status s = InsertJob(2)(db); !s.ok()) return s;
      return InsertJob(1)(db);
    });
    std::future<Status> c = store.Submit(InsertJob(3));
    std::future<Status> thrown = store.Submit([](SqliteDb&) -> Status {
      throw std::runtime_error("boom");  // a bug in a write is its own error, not the writer's end
    });
    gate.Release();
    ASSERT_TRUE(first.get().ok());
    EXPECT_TRUE(a.get().ok());
    const Status d = dup.get();
    EXPECT_EQ(d.code(), ErrorCode::kAlreadyExists) << d.message();
    EXPECT_TRUE(c.get().ok());
    const Status t = thrown.get();
    EXPECT_NE(t.message().find("boom"), std::string::npos) << t.message();
    EXPECT_EQ(store.stats().commits, 2);
    EXPECT_EQ(store.stats().failed_writes, 2);
  }
  SqliteDb db = SqliteDb::Open(path).value();
  EXPECT_EQ(
      db.QueryText("SELECT group_concat(id, ',') FROM (SELECT id FROM jobs ORDER BY id)").value(),
      "1,3");
}

TEST(GroupCommit, AConstraintFailingAtCommitFailsOnlyItsWrite) {
  ScratchDir dir;
  const std::string path = dir.Path("state.db");
  SqliteDb db = OpenJobs(path);
  // A deferred foreign key is checked at COMMIT: a write that breaks it makes the batch's commit
  // fail after every write succeeded on its own. The batch runs again one write per transaction:
  // the culprit fails, the others are stored.
  ASSERT_TRUE(db.Exec("CREATE TABLE runs (job INTEGER REFERENCES jobs(id) DEFERRABLE INITIALLY "
                      "DEFERRED)")
                  .ok());
  WriterGate gate;
  GroupCommitter store(std::move(db));
  std::future<Status> first = store.Submit(gate.Hold());
  gate.WaitUntilHeld();
  std::future<Status> good = store.Submit(InsertJob(1));
  std::future<Status> orphan =
      store.Submit([](SqliteDb& d) { return d.Exec("INSERT INTO runs VALUES (42)"); });
  std::future<Status> also_good = store.Submit(InsertJob(2));
  gate.Release();
  ASSERT_TRUE(first.get().ok());
  const Status g = good.get(), o = orphan.get(), a = also_good.get();
  EXPECT_TRUE(g.ok()) << g.message();
  EXPECT_TRUE(a.ok()) << a.message();
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.message().find("FOREIGN KEY"), std::string::npos) << o.message();
  EXPECT_EQ(store.stats().commits, 3);           // the gate's, then jobs 1 and 2 alone
  EXPECT_TRUE(store.Commit(InsertJob(3)).ok());  // the store goes on
  EXPECT_EQ(CountJobs(path), 3);
}

// The transaction is the committer's: a write that commits, rolls back or releases the
// committer's savepoint would break the batch's promise (acknowledged yet lost, or stored yet
// failed). Such statements are refused; the write fails alone.
TEST(GroupCommit, AWriteCannotControlTheTransaction) {
  ScratchDir dir;
  const std::string path = dir.Path("state.db");
  WriterGate gate;
  GroupCommitter store(OpenJobs(path));
  std::future<Status> first = store.Submit(gate.Hold());
  gate.WaitUntilHeld();
  std::future<Status> a = store.Submit(InsertJob(1));
  std::vector<std::future<Status>> rogue;
  for (const char* sql : {"COMMIT", "ROLLBACK", "BEGIN", "RELEASE gpufleet_group_commit_write",
                          "ROLLBACK TO gpufleet_group_commit_write"}) {
    rogue.push_back(store.Submit([sql](SqliteDb& d) { return d.Exec(sql); }));
    // The committer runs these statements too: through the shared cache, a write would get the
    // committer's compiled one if the committer kept it there.
    rogue.push_back(store.Submit([sql](SqliteDb& d) { return d.ExecCached(sql); }));
  }
  std::future<Status> b = store.Submit(InsertJob(2));
  gate.Release();
  ASSERT_TRUE(first.get().ok());
  EXPECT_TRUE(a.get().ok());
  for (auto& r : rogue) {
    const Status s = r.get();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("not authorized"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(b.get().ok());
  EXPECT_EQ(store.stats().commits, 2);
  EXPECT_EQ(CountJobs(path), 2);
  // A write's own savepoints are its business.
  EXPECT_TRUE(store
                  .Commit([](SqliteDb& d) {
                    if (Status s = d.Exec("SAVEPOINT mine"); !s.ok()) return s;
                    if (Status s = InsertJob(3)(d); !s.ok()) return s;
                    return d.Exec("RELEASE mine");
                  })
                  .ok());
  EXPECT_EQ(CountJobs(path), 3);
}

// The committer's guard against transaction control must not cost a compile per write: SQLite
// expires every prepared statement whenever an authorizer is installed, which once made each
// cached statement of the server compile again for every write (a fifth of the server's CPU
// under load).
TEST(GroupCommit, ACachedStatementIsNotCompiledAgainPerWrite) {
  ScratchDir dir;
  GroupCommitter store(OpenJobs(dir.Path("state.db")));
  int recompiles = -1;
  for (std::int64_t id = 0; id < 20; ++id) {
    ASSERT_TRUE(store
                    .Commit([id, &recompiles](SqliteDb& d) {
                      Result<SqlStatement*> st = d.Cached("INSERT INTO jobs VALUES (?1, 'x')");
                      if (!st.ok()) return st.status();
                      Status s = st.value()->Bind(1, id).Run();
                      recompiles = st.value()->Recompiles();
                      return s;
                    })
                    .ok());
  }
  EXPECT_EQ(recompiles, 0);
}

TEST(GroupCommit, DestroyingTheStoreCommitsWhatWasSubmitted) {
  ScratchDir dir;
  const std::string path = dir.Path("state.db");
  std::vector<std::future<Status>> answers;
  {
    GroupCommitter store(OpenJobs(path));
    for (int id = 0; id < 500; ++id) answers.push_back(store.Submit(InsertJob(id)));
  }
  for (auto& a : answers) EXPECT_TRUE(a.get().ok());
  EXPECT_EQ(CountJobs(path), 500);
}

// Durable before acknowledged: a child process commits from eight threads and reports each
// acknowledged id on a pipe; it is killed (SIGKILL, no chance to flush anything) while writing.
// Every id it acknowledged is in the database afterwards.
TEST(GroupCommit, EveryAcknowledgedWriteSurvivesKill9) {
  ScratchDir dir;
  const std::string path = dir.Path("state.db");
  OpenJobs(path);  // the schema, before the child starts
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    GroupCommitter store(OpenJobs(path), 64);
    std::atomic<std::int64_t> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        for (;;) {
          const std::int64_t id = next++;
          if (!store.Commit(InsertJob(id)).ok()) _exit(3);
          if (write(fds[1], &id, sizeof id) != sizeof id) _exit(4);
        }
      });
    }
    for (auto& th : threads) th.join();
    _exit(0);
  }
  close(fds[1]);
  std::set<std::int64_t> acknowledged;
  std::int64_t id = 0;
  while (acknowledged.size() < 2000 && read(fds[0], &id, sizeof id) == sizeof id) {
    acknowledged.insert(id);
  }
  kill(child, SIGKILL);
  while (read(fds[0], &id, sizeof id) == sizeof id) acknowledged.insert(id);  // sent before death
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited by itself: " << status;
  ASSERT_GE(acknowledged.size(), 2000u);

  SqliteDb db = SqliteDb::Open(path).value();
  std::set<std::int64_t> stored;
  SqlStatement all = db.Prepare("SELECT id FROM jobs").value();
  while (all.Step().value()) stored.insert(all.Int(0));
  for (std::int64_t a : acknowledged) ASSERT_TRUE(stored.count(a)) << "acknowledged, lost: " << a;
}

}  // namespace
}  // namespace gpufleet
