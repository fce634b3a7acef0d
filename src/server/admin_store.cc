#include "server/admin_store.h"

#include <cmath>
#include <utility>

namespace gpufleet {

Status PrepareAdminSchema(SqliteDb& db) {
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS node_drains ("
      " node TEXT PRIMARY KEY, reason TEXT NOT NULL, since_ms INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS tenant_shares ("
      " tenant TEXT PRIMARY KEY, weight REAL NOT NULL, quota_gpus INTEGER);");
}

GroupCommitter::Write SaveDrain(NodeDrain drain) {
  return [drain = std::move(drain)](SqliteDb& db) -> Status {
    Result<SqlStatement*> st = db.Cached(
        "INSERT OR REPLACE INTO node_drains (node, reason, since_ms) VALUES (?1, ?2, ?3)");
    if (!st.ok()) return st.error();
    return st.value()->Bind(1, drain.node).Bind(2, drain.reason).Bind(3, drain.since).Run();
  };
}

GroupCommitter::Write DeleteDrain(std::string node) {
  return [node = std::move(node)](SqliteDb& db) -> Status {
    Result<SqlStatement*> st = db.Cached("DELETE FROM node_drains WHERE node = ?1");
    if (!st.ok()) return st.error();
    return st.value()->Bind(1, node).Run();
  };
}

Result<std::vector<NodeDrain>> LoadDrains(SqliteDb& db) {
  Result<SqlStatement> query =
      db.Prepare("SELECT node, reason, since_ms FROM node_drains ORDER BY node");
  if (!query.ok()) return query.error();
  std::vector<NodeDrain> out;
  for (;;) {
    Result<bool> row = query.value().Step();
    if (!row.ok()) return row.error();
    if (!row.value()) return out;
    out.push_back({query.value().Text(0), query.value().Text(1), query.value().Int(2)});
  }
}

GroupCommitter::Write SaveTenantShare(TenantShare share) {
  return [share = std::move(share)](SqliteDb& db) -> Status {
    Result<SqlStatement*> st = db.Cached(
        "INSERT OR REPLACE INTO tenant_shares (tenant, weight, quota_gpus) VALUES (?1, ?2, ?3)");
    if (!st.ok()) return st.error();
    SqlStatement& s = *st.value();
    s.Bind(1, share.tenant).BindReal(2, share.weight);
    if (share.quota_gpus) {
      s.Bind(3, *share.quota_gpus);
    } else {
      s.BindNull(3);
    }
    return s.Run();
  };
}

Result<std::vector<TenantShare>> LoadTenantShares(SqliteDb& db) {
  Result<SqlStatement> query =
      db.Prepare("SELECT tenant, weight, quota_gpus FROM tenant_shares ORDER BY tenant");
  if (!query.ok()) return query.error();
  SqlStatement& st = query.value();
  std::vector<TenantShare> out;
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.error();
    if (!row.value()) return out;
    TenantShare share{st.Text(0), st.Real(1), std::nullopt};
    if (!st.IsNull(2)) share.quota_gpus = st.Int(2);
    if (!(share.weight > 0) || !std::isfinite(share.weight) ||
        (share.quota_gpus && *share.quota_gpus < 0)) {
      return Error{db.path() + ": tenant " + share.tenant +
                       ": unreadable share (weight must be positive, quota_gpus at least 0)",
                   ErrorCode::kDataLoss};
    }
    out.push_back(std::move(share));
  }
}

}  // namespace gpufleet
