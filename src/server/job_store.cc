#include "server/job_store.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace gpufleet {
namespace {

// Bumped when the tables change shape; a server refuses a database of a later version rather
// than misread it.
constexpr std::int64_t kJobSchemaVersion = 1;

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}

std::vector<std::string> Split(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// "12:255,13:15": each node of the run with the mask of its GPUs there.
std::string NodesText(const LiveJob& job) {
  std::string out;
  for (size_t i = 0; i < job.nodes.size(); ++i) {
    if (!out.empty()) out += ',';
    out += std::to_string(job.nodes[i]) + ":" +
           std::to_string(i < job.gpu_masks.size() ? job.gpu_masks[i] : 0);
  }
  return out;
}

void BindOptionalTime(SqlStatement& st, int index, SimTime t) {
  if (t < 0) {
    st.BindNull(index);
  } else {
    st.Bind(index, t);
  }
}

}  // namespace

Status PrepareJobSchema(SqliteDb& db) {
  if (Status s =
          db.Exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
                  "CREATE TABLE IF NOT EXISTS jobs ("
                  " id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL,"
                  " command TEXT NOT NULL, idempotency_key TEXT,"
                  " gpus INTEGER NOT NULL, gpu_milli INTEGER NOT NULL, cpu_milli INTEGER NOT NULL,"
                  " memory_mib INTEGER NOT NULL, priority INTEGER NOT NULL,"
                  " power_milli INTEGER NOT NULL, gpu_models TEXT NOT NULL, topology TEXT NOT NULL,"
                  " estimate_ms INTEGER NOT NULL, duration_ms INTEGER NOT NULL,"
                  " submitted_ms INTEGER NOT NULL, state TEXT NOT NULL, epoch INTEGER NOT NULL,"
                  " started_ms INTEGER, ended_ms INTEGER, exit_code INTEGER, message TEXT NOT NULL,"
                  " nodes TEXT NOT NULL, cancel_requested INTEGER NOT NULL,"
                  " UNIQUE (tenant, idempotency_key));"
                  "INSERT OR IGNORE INTO meta (key, value) VALUES ('job_schema', 1);");
      !s.ok())
    return s;
  Result<std::int64_t> version = db.QueryInt("SELECT value FROM meta WHERE key = 'job_schema'");
  if (!version.ok()) return version.error();
  if (version.value() != kJobSchemaVersion) {
    return Error{db.path() + ": the store's job schema is version " +
                     std::to_string(version.value()) + "; this gpufleet reads version " +
                     std::to_string(kJobSchemaVersion),
                 ErrorCode::kFailedPrecondition};
  }
  return Status::Ok();
}

GroupCommitter::Write InsertJob(LiveJob job, std::shared_ptr<JobId> existing) {
  return [job = std::move(job), existing](SqliteDb& db) -> Status {
    *existing = -1;
    if (!job.idempotency_key.empty()) {
      Result<SqlStatement*> find =
          db.Cached("SELECT id FROM jobs WHERE tenant = ?1 AND idempotency_key = ?2");
      if (!find.ok()) return find.error();
      SqlStatement& q = *find.value();
      q.Bind(1, job.tenant).Bind(2, job.idempotency_key);
      Result<bool> row = q.Step();
      const std::int64_t found = row.ok() && row.value() ? q.Int(0) : -1;
      q.Reset();
      if (!row.ok()) return row.error();
      if (found >= 0) {
        *existing = found;
        return Status::Ok();
      }
    }
    Result<SqlStatement*> insert = db.Cached(
        "INSERT INTO jobs (id, tenant, name, command, idempotency_key, gpus, gpu_milli, "
        "cpu_milli, memory_mib, priority, power_milli, gpu_models, topology, estimate_ms, "
        "duration_ms, submitted_ms, state, epoch, started_ms, ended_ms, exit_code, message, "
        "nodes, cancel_requested) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
        "?14, ?15, ?16, "
        "?17, ?18, NULL, NULL, NULL, '', '', 0)");
    if (!insert.ok()) return insert.error();
    SqlStatement& st = *insert.value();
    const JobRequest& r = job.request;
    st.Bind(1, job.id).Bind(2, job.tenant).Bind(3, job.name).Bind(4, job.command);
    if (job.idempotency_key.empty()) {
      st.BindNull(5);
    } else {
      st.Bind(5, job.idempotency_key);
    }
    st.Bind(6, std::int64_t{r.gpus})
        .Bind(7, std::int64_t{r.gpu_milli})
        .Bind(8, r.cpu_milli)
        .Bind(9, r.memory_mib)
        .Bind(10, std::int64_t{r.priority})
        .Bind(11, static_cast<std::int64_t>(r.power_utilization * 1000.0F + 0.5F))
        .Bind(12, Joined(job.gpu_models))
        .Bind(13, std::string_view(TopologyName(r.topology)))
        .Bind(14, r.estimate)
        .Bind(15, job.duration)
        .Bind(16, job.submitted_at)
        .Bind(17, std::string_view(LiveStateName(job.state)))
        .Bind(18, std::int64_t{job.epoch});
    return st.Run();
  };
}

GroupCommitter::Write UpdateJob(const LiveJob& job) {
  return [id = job.id, state = job.state, epoch = job.epoch, started = job.started_at,
          ended = job.ended_at, exit_code = job.exit_code, message = job.message,
          nodes = NodesText(job), cause = job.stop_cause](SqliteDb& db) -> Status {
    Result<SqlStatement*> update = db.Cached(
        "UPDATE jobs SET state = ?2, epoch = ?3, started_ms = ?4, ended_ms = ?5, "
        "exit_code = ?6, message = ?7, nodes = ?8, cancel_requested = ?9 WHERE id = ?1");
    if (!update.ok()) return update.error();
    SqlStatement& st = *update.value();
    st.Bind(1, id).Bind(2, std::string_view(LiveStateName(state))).Bind(3, std::int64_t{epoch});
    BindOptionalTime(st, 4, started);
    BindOptionalTime(st, 5, ended);
    if (exit_code) {
      st.Bind(6, std::int64_t{*exit_code});
    } else {
      st.BindNull(6);
    }
    st.Bind(7, message).Bind(8, nodes).Bind(9, static_cast<std::int64_t>(cause));
    return st.Run();
  };
}

Result<LoadedJobs> LoadJobs(SqliteDb& db, const Fleet& fleet,
                            const std::vector<std::string>& tenants) {
  std::unordered_map<std::string, std::int32_t> tenant_index;
  for (size_t i = 0; i < tenants.size(); ++i)
    tenant_index.emplace(tenants[i], static_cast<std::int32_t>(i));
  Result<SqlStatement> query = db.Prepare(
      "SELECT id, tenant, name, command, idempotency_key, gpus, gpu_milli, cpu_milli, "
      "memory_mib, priority, power_milli, gpu_models, topology, estimate_ms, duration_ms, "
      "submitted_ms, state, epoch, started_ms, ended_ms, exit_code, message, nodes, "
      "cancel_requested FROM jobs ORDER BY id");
  if (!query.ok()) return query.error();
  SqlStatement& st = query.value();
  LoadedJobs out;
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.error();
    if (!row.value()) break;
    LiveJob j;
    j.id = st.Int(0);
    j.tenant = st.Text(1);
    j.name = st.Text(2);
    j.command = st.Text(3);
    if (!st.IsNull(4)) j.idempotency_key = st.Text(4);
    JobRequest& r = j.request;
    r.gpus = static_cast<std::int32_t>(st.Int(5));
    r.gpu_milli = static_cast<std::int32_t>(st.Int(6));
    r.cpu_milli = st.Int(7);
    r.memory_mib = st.Int(8);
    r.priority = static_cast<std::int32_t>(st.Int(9));
    r.power_utilization = static_cast<float>(st.Int(10)) / 1000.0F;
    j.gpu_models = Split(st.Text(11));
    const std::string where = db.path() + ": job " + std::to_string(j.id) + ": ";
    std::optional<Topology> topology = ParseTopology(st.Text(12));
    std::optional<LiveState> state = LiveStateNamed(st.Text(16));
    if (!topology || !state) {
      return Error{
          where + "unreadable topology '" + st.Text(12) + "' or state '" + st.Text(16) + "'",
          ErrorCode::kDataLoss};
    }
    r.topology = *topology;
    r.estimate = st.Int(13);
    j.duration = st.Int(14);
    j.submitted_at = st.Int(15);
    j.state = *state;
    j.epoch = static_cast<Epoch>(st.Int(17));
    j.started_at = st.IsNull(18) ? -1 : st.Int(18);
    j.ended_at = st.IsNull(19) ? -1 : st.Int(19);
    if (!st.IsNull(20)) j.exit_code = static_cast<int>(st.Int(20));
    j.message = st.Text(21);
    for (const std::string& n : Split(st.Text(22))) {
      NodeId node = -1;
      std::uint64_t mask = 0;
      const char* const last = n.data() + n.size();
      const auto [colon, ec] = std::from_chars(n.data(), last, node);
      const bool read = ec == std::errc{} && colon != last && *colon == ':' && colon + 1 != last &&
                        std::from_chars(colon + 1, last, mask).ptr == last;
      if (!read || node < 0 || node >= fleet.num_nodes()) {
        return Error{where + "unreadable node 'NODE:GPUS' '" + n + "'", ErrorCode::kDataLoss};
      }
      j.nodes.push_back(node);
      j.gpu_masks.push_back(mask);
    }
    const std::int64_t cause = st.Int(23);
    if (cause < 0 || cause > static_cast<std::int64_t>(LiveJob::StopCause::kPartFailed)) {
      return Error{
          where + "unreadable cancel_requested " + std::to_string(cause) + " (expected 0, 1 or 2)",
          ErrorCode::kDataLoss};
    }
    j.stop_cause = static_cast<LiveJob::StopCause>(cause);
    out.largest_id = std::max(out.largest_id, j.id);

    // What this server can no longer run ends here, said why (the row keeps what it was).
    auto cannot_run = [&](const std::string& why) {
      if (IsOver(j.state)) return;
      j.state = LiveState::kFailed;
      j.message = why;
    };
    const auto t = tenant_index.find(j.tenant);
    if (t == tenant_index.end()) {
      cannot_run("its tenant '" + j.tenant + "' is not in the tokens file any more");
    } else {
      r.tenant = t->second;
    }
    std::uint64_t mask = 0;
    for (const std::string& name : j.gpu_models) {
      const ModelId m = fleet.FindModel(name);
      if (m == kAnyModel) {
        cannot_run("GPU model '" + name + "' is not in the fleet any more");
        break;
      }
      mask |= ModelBit(m);
    }
    if (std::popcount(mask) == 1) {
      r.gpu_model = static_cast<ModelId>(std::countr_zero(mask));
    } else {
      r.allowed_models = mask;
    }
    out.jobs.push_back(std::move(j));
  }
  return out;
}

}  // namespace gpufleet
