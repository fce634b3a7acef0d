#include "store/sqlite_db.h"

#include <utility>

namespace gpufleet {
namespace {

// What a caller can act on: a duplicate key is kAlreadyExists (an idempotent retry), a file that
// is not a database kDataLoss, a full or failing disk or a lock held too long kUnavailable (the
// daemon answers 503 and the client retries), anything else a bad statement or value.
ErrorCode CodeOf(int rc) {
  switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return ErrorCode::kAlreadyExists;
  }
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:  // a value the schema refuses: NOT NULL, CHECK, a foreign key
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return ErrorCode::kInvalidArgument;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCode::kDataLoss;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
    case SQLITE_INTERRUPT:
      return ErrorCode::kUnavailable;
    default:  // a statement of ours that is wrong (no such table, misuse): the server's fault
      return ErrorCode::kInternal;
  }
}

}  // namespace

SqlStatement::SqlStatement(sqlite3* db, sqlite3_stmt* stmt, std::string sql)
    : db_(db), stmt_(stmt), sql_(std::move(sql)) {}

Error SqlStatement::Failure(int rc) const {
  return Error{std::string(sqlite3_db_filename(db_, "main")) + ": " + sqlite3_errstr(rc) + " (" +
                   sqlite3_errmsg(db_) + ") in: " + sql_,
               CodeOf(rc)};
}

SqlStatement& SqlStatement::Bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

SqlStatement& SqlStatement::Bind(int index, std::string_view text) {
  // An empty view may have no data pointer, which SQLite would store as NULL, not ''.
  const int rc = sqlite3_bind_text64(stmt_.get(), index, text.data() ? text.data() : "",
                                     text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

SqlStatement& SqlStatement::BindBlob(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob64(stmt_.get(), index, bytes.data() ? bytes.data() : "",
                                     bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

SqlStatement& SqlStatement::BindReal(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_.get(), index, value);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

SqlStatement& SqlStatement::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_.get(), index);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Result<bool> SqlStatement::Step() {
  if (bind_error_ != SQLITE_OK) return Failure(bind_error_);
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The extended code says which constraint failed (sqlite3_step returns the primary one).
  return Failure(sqlite3_extended_errcode(db_));
}

Status SqlStatement::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok()) return row.error();
    if (!row.value()) return Status::Ok();
  }
}

void SqlStatement::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_error_ = SQLITE_OK;
}

std::int64_t SqlStatement::Int(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

int SqlStatement::Recompiles() const {
  return sqlite3_stmt_status(stmt_.get(), SQLITE_STMTSTATUS_REPREPARE, 0);
}

double SqlStatement::Real(int column) const { return sqlite3_column_double(stmt_.get(), column); }

std::string SqlStatement::Text(int column) const {
  const void* bytes = sqlite3_column_blob(stmt_.get(), column);
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  return bytes ? std::string(static_cast<const char*>(bytes), static_cast<size_t>(n))
               : std::string();
}

bool SqlStatement::IsNull(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

Error SqliteDb::Failure(const std::string& what, int rc) const {
  return Error{path_ + ": " + what + ": " + sqlite3_errstr(rc) +
                   (db_ ? std::string(" (") + sqlite3_errmsg(db_.get()) + ")" : std::string()),
               CodeOf(rc)};
}

Result<SqliteDb> SqliteDb::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteDb db(raw, path);
  if (rc != SQLITE_OK) return db.Failure("cannot open the database", rc);
  sqlite3_extended_result_codes(raw, 1);
  // A second connection (a reader, or a server started twice by mistake) waits for the lock a
  // while rather than failing at once.
  sqlite3_busy_timeout(raw, 5000);
  // journal_mode answers with the mode it got: a file that cannot do WAL (some network file
  // systems) is refused, since durability and concurrent reads rest on it.
  Result<std::string> mode = db.QueryText("PRAGMA journal_mode=WAL");
  if (!mode.ok()) return mode.error();
  if (mode.value() != "wal") {
    return Error{path + ": cannot use write-ahead logging here (journal mode '" + mode.value() +
                     "'); put the state on a local file system",
                 ErrorCode::kUnavailable};
  }
  if (Status s = db.Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON"); !s.ok())
    return Error{s.message(), s.code()};
  return db;
}

Status SqliteDb::Exec(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string text = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return Error{path_ + ": " + text + " in: " + sql, CodeOf(sqlite3_extended_errcode(db_.get()))};
}

Result<SqlStatement*> SqliteDb::Cached(const std::string& sql) {
  auto it = cache_->find(sql);
  if (it == cache_->end()) {
    Result<SqlStatement> prepared = Prepare(sql);
    if (!prepared.ok()) return prepared.error();
    it = cache_->emplace(sql, std::move(prepared).value()).first;
  }
  it->second.Reset();
  return &it->second;
}

Status SqliteDb::ExecCached(const std::string& sql) {
  Result<SqlStatement*> st = Cached(sql);
  if (!st.ok()) return st.error();
  Status s = st.value()->Run();
  st.value()->Reset();  // a finished statement holds no lock or snapshot until its next run
  return s;
}

Result<SqlStatement> SqliteDb::Prepare(std::string sql) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc =
      sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size()) + 1, &stmt, &tail);
  if (rc != SQLITE_OK) return Failure("cannot prepare: " + sql, rc);
  // One statement: a second one after it would be silently dropped, and none is no statement.
  const bool more = tail != nullptr &&
                    std::string_view(tail).find_first_not_of(" \t\r\n;") != std::string_view::npos;
  if (stmt == nullptr || more) {
    sqlite3_finalize(stmt);
    return Error{path_ + ": expected exactly one SQL statement in: " + sql, ErrorCode::kInternal};
  }
  return SqlStatement(db_.get(), stmt, std::move(sql));
}

Result<SqlStatement> SqliteDb::QueryRow(std::string sql) {
  Result<SqlStatement> st = Prepare(sql);
  if (!st.ok()) return st.error();
  Result<bool> row = st.value().Step();
  if (!row.ok()) return row.error();
  if (!row.value()) return Error{path_ + ": no row from: " + sql, ErrorCode::kNotFound};
  return st;
}

Result<std::int64_t> SqliteDb::QueryInt(const std::string& sql) {
  Result<SqlStatement> st = QueryRow(sql);
  if (!st.ok()) return st.error();
  return st.value().Int(0);
}

Result<std::string> SqliteDb::QueryText(const std::string& sql) {
  Result<SqlStatement> st = QueryRow(sql);
  if (!st.ok()) return st.error();
  return st.value().Text(0);
}

}  // namespace gpufleet
