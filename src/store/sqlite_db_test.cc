#include "store/sqlite_db.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace gpufleet {
namespace {

using testing::ScratchDir;

TEST(SqliteDb, OpensInWalModeWithFullSync) {
  ScratchDir dir;
  Result<SqliteDb> db = SqliteDb::Open(dir.Path("state.db"));
  ASSERT_TRUE(db.ok()) << db.message();
  EXPECT_EQ(db.value().QueryText("PRAGMA journal_mode").value(), "wal");
  // synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA (sqlite.org/pragma.html#pragma_synchronous).
  EXPECT_EQ(db.value().QueryInt("PRAGMA synchronous").value(), 2);
  EXPECT_EQ(db.value().QueryInt("PRAGMA foreign_keys").value(), 1);
}

TEST(SqliteDb, RowsSurviveReopening) {
  ScratchDir dir;
  {
    SqliteDb db = SqliteDb::Open(dir.Path("state.db")).value();
    ASSERT_TRUE(db.Exec("CREATE TABLE jobs (id INTEGER PRIMARY KEY, spec BLOB NOT NULL)").ok());
    SqlStatement insert = db.Prepare("INSERT INTO jobs VALUES (?1, ?2)").value();
    ASSERT_TRUE(insert.Bind(1, std::int64_t{7}).BindBlob(2, std::string("a\0b", 3)).Run().ok());
  }
  SqliteDb db = SqliteDb::Open(dir.Path("state.db")).value();
  SqlStatement select = db.Prepare("SELECT id, spec FROM jobs").value();
  ASSERT_TRUE(select.Step().value());
  EXPECT_EQ(select.Int(0), 7);
  EXPECT_EQ(select.Text(1), std::string("a\0b", 3));  // bytes, NUL included
  EXPECT_FALSE(select.Step().value());
}

TEST(SqliteDb, ACachedStatementIsPreparedOnceAndComesBackReset) {
  ScratchDir dir;
  SqliteDb db = SqliteDb::Open(dir.Path("state.db")).value();
  ASSERT_TRUE(db.Exec("CREATE TABLE t (x INTEGER)").ok());
  const std::string insert = "INSERT INTO t (x) VALUES (?1)";
  SqlStatement* first = db.Cached(insert).value();
  ASSERT_TRUE(first->Bind(1, std::int64_t{1}).Run().ok());
  SqlStatement* again = db.Cached(insert).value();
  EXPECT_EQ(first, again);
  // Reset with its bindings cleared: an unbound parameter is NULL, not the 1 of the last run.
  ASSERT_TRUE(again->Run().ok());
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM t WHERE x IS NULL").value(), 1);
  ASSERT_TRUE(db.ExecCached("DELETE FROM t").ok());
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM t").value(), 0);
  EXPECT_FALSE(db.Cached("SELEKT 1").ok());
  EXPECT_FALSE(db.Cached("SELECT 1; SELECT 2").ok());
}

TEST(SqliteDb, ErrorsSayWhereAndWhat) {
  ScratchDir dir;
  Result<SqliteDb> missing = SqliteDb::Open(dir.Path("no/such/folder/state.db"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message().rfind(dir.Path("no/such/folder/state.db") + ": cannot open", 0), 0u)
      << missing.message();
  EXPECT_EQ(missing.code(), ErrorCode::kUnavailable);

  // A file that is not a database is stored state that cannot be read: data loss, not bad input.
  const std::string text = dir.Write("notes.txt", std::string(4096, 'x'));
  Result<SqliteDb> not_db = SqliteDb::Open(text);
  ASSERT_FALSE(not_db.ok());
  EXPECT_NE(not_db.message().find(text), std::string::npos) << not_db.message();
  EXPECT_EQ(not_db.code(), ErrorCode::kDataLoss) << not_db.message();

  SqliteDb db = SqliteDb::Open(dir.Path("state.db")).value();
  Result<SqlStatement> bad = db.Prepare("SELEKT 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("SELEKT 1"), std::string::npos) << bad.message();

  ASSERT_TRUE(db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)").ok());
  ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (1, 'a')").ok());
  SqlStatement again = db.Prepare("INSERT INTO t VALUES (?1, ?2)").value();
  const Status dup = again.Bind(1, std::int64_t{1}).Bind(2, "b").Run();
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.code(), ErrorCode::kAlreadyExists) << dup.message();  // an idempotent retry
  again.Reset();
  const Status null = again.Bind(1, std::int64_t{2}).BindNull(2).Run();
  ASSERT_FALSE(null.ok());
  EXPECT_EQ(null.code(), ErrorCode::kInvalidArgument) << null.message();
  EXPECT_NE(null.message().find("NOT NULL"), std::string::npos) << null.message();

  // A parameter that does not exist fails the step that would have used it, not silently.
  again.Reset();
  const Status range = again.Bind(3, std::int64_t{1}).Run();
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.message().find("INSERT INTO t"), std::string::npos) << range.message();

  EXPECT_EQ(db.QueryInt("SELECT id FROM t WHERE id = 99").code(), ErrorCode::kNotFound);
}

TEST(SqliteDb, EmptyTextIsEmptyNotNullAndOneStatementIsOne) {
  ScratchDir dir;
  SqliteDb db = SqliteDb::Open(dir.Path("state.db")).value();
  ASSERT_TRUE(db.Exec("CREATE TABLE t (s TEXT NOT NULL, b BLOB NOT NULL)").ok());
  // A default string_view has no data pointer; SQLite would take it for NULL.
  SqlStatement insert = db.Prepare("INSERT INTO t VALUES (?1, ?2)").value();
  const Status s = insert.Bind(1, std::string_view()).BindBlob(2, std::string_view()).Run();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM t WHERE s = '' AND b = x''").value(), 1);
  // A second statement would be dropped without a word; no statement is no statement.
  for (const char* sql : {"INSERT INTO t VALUES ('a', x''); DELETE FROM t", "", "-- nothing"}) {
    Result<SqlStatement> two = db.Prepare(sql);
    ASSERT_FALSE(two.ok()) << sql;
    EXPECT_EQ(two.code(), ErrorCode::kInternal) << two.message();
  }
  EXPECT_TRUE(db.Prepare("SELECT 1;  ").ok());  // a trailing semicolon is still one
  // A statement of the server's own that is wrong is its fault, not the client's.
  EXPECT_EQ(db.Prepare("SELECT * FROM no_such_table").code(), ErrorCode::kInternal);
}

// A full disk is what the daemon meets in production; max_page_count stands in for it.
TEST(SqliteDb, AFullDatabaseIsUnavailableNotBadInput) {
  ScratchDir dir;
  SqliteDb db = SqliteDb::Open(dir.Path("state.db")).value();
  ASSERT_TRUE(db.Exec("CREATE TABLE t (b BLOB)").ok());
  const std::int64_t pages = db.QueryInt("PRAGMA page_count").value();
  ASSERT_TRUE(db.Exec("PRAGMA max_page_count=" + std::to_string(pages + 1)).ok());
  SqlStatement insert = db.Prepare("INSERT INTO t VALUES (?1)").value();
  const Status full = insert.BindBlob(1, std::string(1 << 20, 'x')).Run();
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.code(), ErrorCode::kUnavailable) << full.message();
}

}  // namespace
}  // namespace gpufleet
