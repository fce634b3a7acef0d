// The control plane's jobs in SQLite (docs/ARCHITECTURE.md, "The store"): the schema, the writes
// the group committer runs, and the read that recovers every job at start. A job's row is
// written when it is submitted (before the 201) and updated at each change of its life; the
// scheduler's own state is rebuilt from these rows, never stored.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "server/live_job.h"
#include "store/group_commit.h"
#include "store/sqlite_db.h"
#include "util/result.h"

namespace gpufleet {

// Creates the tables when absent; refuses a database written by a later schema.
Status PrepareJobSchema(SqliteDb& db);

// The job's row, inserted. With an idempotency key that the tenant used before, nothing is
// inserted and `*existing` is set to that job's id (it stays -1 otherwise).
GroupCommitter::Write InsertJob(LiveJob job, std::shared_ptr<JobId> existing);
// The job's changing columns (state, epoch, times, exit, nodes, message), updated.
GroupCommitter::Write UpdateJob(const LiveJob& job);

// Every job of the store, by id. `tenants` names the server's tenants in the order of the
// scheduler's indices: a job whose tenant is no longer among them, or whose GPU models the fleet
// no longer has, comes back failed with the reason (and its row is left as it was).
struct LoadedJobs {
  std::vector<LiveJob> jobs;
  JobId largest_id = 0;
};
Result<LoadedJobs> LoadJobs(SqliteDb& db, const Fleet& fleet,
                            const std::vector<std::string>& tenants);

}  // namespace gpufleet
