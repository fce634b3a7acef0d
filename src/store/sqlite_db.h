// A small owner of one SQLite connection, with errors as values (docs/ARCHITECTURE.md, "The
// store"). The control plane's state is durable before it is acknowledged, so a database is opened
// in WAL mode with synchronous=FULL: a transaction that COMMIT reports done has been fsync'ed to
// the write-ahead log and survives a crash of the process or of the machine.
//
// Not thread-safe: one thread uses a connection at a time (the store's writer thread owns its
// own; readers open theirs).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/result.h"

namespace gpufleet {

// One prepared statement of a SqliteDb. Bind parameters from 1, as SQLite counts them; Step() to
// the next row; read its columns from 0. Reset() to run it again with new parameters.
class SqlStatement {
 public:
  SqlStatement(SqlStatement&&) noexcept = default;
  SqlStatement& operator=(SqlStatement&&) noexcept = default;

  SqlStatement& Bind(int index, std::int64_t value);
  SqlStatement& Bind(int index, std::string_view text);
  SqlStatement& BindBlob(int index, std::string_view bytes);
  SqlStatement& BindReal(int index, double value);  // named apart: an int would be ambiguous
  SqlStatement& BindNull(int index);
  // True when a row is ready, false when the statement is done; an error otherwise (a constraint
  // violated, the disk full, a binding that failed).
  Result<bool> Step();
  // Runs a statement that returns no rows to its end.
  Status Run();
  void Reset();

  std::int64_t Int(int column) const;
  double Real(int column) const;
  std::string Text(int column) const;  // a blob's bytes too
  bool IsNull(int column) const;
  // How many times SQLite compiled this statement again since it was prepared (it does when the
  // schema changes, or when something expires the connection's statements). A cached statement
  // is worth its cache only while this stays 0.
  int Recompiles() const;

 private:
  friend class SqliteDb;
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  SqlStatement(sqlite3* db, sqlite3_stmt* stmt, std::string sql);
  Error Failure(int rc) const;

  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  std::string sql_;
  int bind_error_ = SQLITE_OK;  // the first failed Bind, reported by Step
};

class SqliteDb {
 public:
  // Opens (creating it when absent) the database at `path`, in WAL mode with synchronous=FULL
  // and foreign keys on. Errors name the path and what SQLite said.
  static Result<SqliteDb> Open(const std::string& path);

  SqliteDb(SqliteDb&&) noexcept = default;
  SqliteDb& operator=(SqliteDb&&) noexcept = default;

  // Runs statements that return nothing (schema, pragmas, BEGIN/COMMIT).
  Status Exec(const std::string& sql);
  Result<SqlStatement> Prepare(std::string sql);
  // The statement for `sql`, prepared once per connection and kept: reset, its bindings cleared,
  // ready to bind. For statements run for every request (a job's insert, the committer's
  // savepoints), whose parsing would otherwise cost as much as running them. Valid until the
  // next call with the same text.
  Result<SqlStatement*> Cached(const std::string& sql);
  // Runs a statement that returns nothing through the cache.
  Status ExecCached(const std::string& sql);
  // The single integer (or text) the query returns; an error when it returns no row.
  Result<std::int64_t> QueryInt(const std::string& sql);
  Result<std::string> QueryText(const std::string& sql);

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_.get(); }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Error Failure(const std::string& what, int rc) const;
  // The statement, stepped to its first row; kNotFound when there is none.
  Result<SqlStatement> QueryRow(std::string sql);

  std::unique_ptr<sqlite3, Close> db_;
  std::string path_;
  // After db_: finalized before the connection closes. Nodes keep their address when it grows.
  std::unique_ptr<std::unordered_map<std::string, SqlStatement>> cache_ =
      std::make_unique<std::unordered_map<std::string, SqlStatement>>();
};

}  // namespace gpufleet
