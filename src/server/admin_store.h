// What operators set through the admin endpoints, in the same SQLite store as the jobs
// (docs/ARCHITECTURE.md, "The store"): drained nodes and tenants' shares. Written before the
// answer, read back at start, so that a drain or a quota outlives a restart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/group_commit.h"
#include "store/sqlite_db.h"
#include "util/result.h"
#include "util/time.h"

namespace gpufleet {

// Creates the tables when absent (they are additions to job schema 1: a store written before
// them simply has none).
Status PrepareAdminSchema(SqliteDb& db);

struct NodeDrain {
  std::string node;  // the node's path in the fleet spec
  std::string reason;
  SimTime since = 0;  // ms since the Unix epoch
};
GroupCommitter::Write SaveDrain(NodeDrain drain);
GroupCommitter::Write DeleteDrain(std::string node);
Result<std::vector<NodeDrain>> LoadDrains(SqliteDb& db);

// A tenant's share as the fairshare policy reads it (model/job.h, Tenant).
struct TenantShare {
  std::string tenant;
  double weight = 1;
  std::optional<std::int64_t> quota_gpus;
};
GroupCommitter::Write SaveTenantShare(TenantShare share);
Result<std::vector<TenantShare>> LoadTenantShares(SqliteDb& db);

}  // namespace gpufleet
