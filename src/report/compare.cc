#include "report/compare.h"

#include <algorithm>
#include <set>
#include <utility>

namespace gpufleet {
namespace {

using json = nlohmann::json;

std::optional<double> Number(const json& report, const json::json_pointer& at) {
  if (!report.contains(at)) return std::nullopt;
  const json& v = report.at(at);
  if (!v.is_number()) return std::nullopt;
  return v.get<double>();
}

// The key figures, in the report's order (docs/REPORT.md names each key).
const std::vector<std::pair<const char*, const char*>>& KeyFigures() {
  static const std::vector<std::pair<const char*, const char*>> figures = {
      {"jobs submitted", "/jobs/submitted"},
      {"jobs completed", "/jobs/completed"},
      {"jobs rejected", "/jobs/rejected"},
      {"jobs pending at the end", "/jobs/pending_at_end"},
      {"queue wait mean (s)", "/jobs/queue_s/mean"},
      {"queue wait p50 (s)", "/jobs/queue_s/p50"},
      {"queue wait p95 (s)", "/jobs/queue_s/p95"},
      {"queue wait p99 (s)", "/jobs/queue_s/p99"},
      {"queue wait max (s)", "/jobs/queue_s/max"},
      {"JCT mean (s)", "/jobs/jct_s/mean"},
      {"JCT p50 (s)", "/jobs/jct_s/p50"},
      {"JCT p95 (s)", "/jobs/jct_s/p95"},
      {"JCT p99 (s)", "/jobs/jct_s/p99"},
      {"GPU utilization", "/gpus/utilization"},
      {"GPU-hours held", "/gpus/allocated_gpu_hours"},
      {"preemptions", "/jobs/preemptions"},
      {"interruptions", "/jobs/interruptions"},
      {"GPU-hours lost", "/jobs/lost_gpu_hours"},
      {"goodput", "/jobs/goodput"},
      {"ETTR mean", "/jobs/ettr/mean"},
      {"IT energy (MWh)", "/energy/it_mwh"},
      {"facility energy (MWh)", "/energy/total_mwh"},
      {"cost (USD)", "/cost/total_usd"},
      {"carbon (t CO2)", "/carbon/total_t"},
      {"makespan (s)", "/makespan_s"},
  };
  return figures;
}

// Names of the objects in `array_at` (e.g. tenants[].name), in the order first seen across runs.
std::vector<std::string> NamesIn(const std::vector<ComparedRun>& runs,
                                 const json::json_pointer& at) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const ComparedRun& r : runs) {
    if (!r.report.contains(at) || !r.report.at(at).is_array()) continue;
    for (const json& item : r.report.at(at)) {
      if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) continue;
      const std::string name = item["name"];
      if (seen.insert(name).second) names.push_back(name);
    }
  }
  return names;
}

std::optional<double> NamedNumber(const json& report, const json::json_pointer& array_at,
                                  const std::string& name, const json::json_pointer& field) {
  if (!report.contains(array_at) || !report.at(array_at).is_array()) return std::nullopt;
  for (const json& item : report.at(array_at)) {
    if (item.is_object() && item.value("name", "") == name) return Number(item, field);
  }
  return std::nullopt;
}

// What makes two runs' figures comparable: the same inputs and horizon.
struct Identity {
  const char* what;
  const char* at;
  bool required;        // a report without it cannot be matched
  const char* file_at;  // where the report names the file the value is of, if any
};
const std::vector<Identity>& Identities() {
  static const std::vector<Identity> ids = {
      {"fleet", "/run/fleet_fingerprint", true, "/run/fleet"},
      {"workload", "/run/workload_fingerprint", false, "/run/workload"},  // none: trace-only
      {"traces", "/run/traces", false, nullptr},
      {"horizon (--until)", "/run/until_s", false, nullptr},
  };
  return ids;
}

// A run's value of `id`, for a message: the file it names and its fingerprint, or the value.
std::string Shown(const json& report, const Identity& id) {
  const json::json_pointer p(id.at);
  std::string value = report.contains(p) ? report.at(p).dump() : "(none)";
  if (id.file_at != nullptr && report.contains(json::json_pointer(id.file_at)))
    value = report.at(json::json_pointer(id.file_at)).dump() + " (fingerprint " + value + ")";
  return value;
}

}  // namespace

Result<Comparison> CompareRuns(const std::vector<ComparedRun>& runs, bool force) {
  if (runs.size() < 2)
    return Error{"compare needs at least two reports", ErrorCode::kInvalidArgument};
  for (const ComparedRun& r : runs) {
    if (!r.report.is_object() || !r.report.contains("run") || !r.report["run"].is_object() ||
        !r.report.contains("jobs")) {
      return Error{r.file + ": not a report of `gpufleet sim --report` (no run and jobs objects)",
                   ErrorCode::kInvalidArgument};
    }
  }
  Comparison c;
  const ComparedRun& base = runs.front();
  std::vector<std::string> problems;
  for (const Identity& id : Identities()) {
    const json::json_pointer at(id.at);
    for (const ComparedRun& r : runs) {
      if (id.required && !r.report.contains(at)) {
        std::string key = id.at + 1;  // run/fleet_fingerprint, as docs/REPORT.md writes it
        std::replace(key.begin(), key.end(), '/', '.');
        problems.push_back(r.file + " has no " + key + " (a report of an older gpufleet): its " +
                           id.what + " cannot be matched");
      }
    }
    for (size_t i = 1; i < runs.size(); ++i) {
      const bool both = base.report.contains(at) && runs[i].report.contains(at);
      const bool neither = !base.report.contains(at) && !runs[i].report.contains(at);
      if (neither || (both && base.report.at(at) == runs[i].report.at(at))) continue;
      if (id.required && !both) continue;  // said above
      problems.push_back(std::string("the ") + id.what + " differs: " + base.file + " has " +
                         Shown(base.report, id) + ", " + runs[i].file + " has " +
                         Shown(runs[i].report, id));
    }
  }
  if (!problems.empty() && !force) {
    std::string text =
        "these runs are not of the same inputs, so their differences would not be "
        "the policies':";
    for (const std::string& p : problems) text += "\n  " + p;
    text += "\n(--force compares them anyway)";
    return Error{text, ErrorCode::kInvalidArgument};
  }
  for (const std::string& p : problems) c.notes.push_back("compared despite: " + p);
  for (size_t i = 1; i < runs.size(); ++i) {
    if (base.report["run"].value("seed", json()) != runs[i].report["run"].value("seed", json()))
      c.notes.push_back("the seeds differ: generated jobs and random failures differ too");
  }
  for (const ComparedRun& r : runs) {
    const json& run = r.report["run"];
    c.runs.push_back(r.file + " (" + (run.contains("policy") ? run["policy"].dump() : "?") +
                     (run.contains("dispatch") ? ", dispatch " + run["dispatch"].dump() : "") +
                     ", seed " + (run.contains("seed") ? run["seed"].dump() : "?") + ")");
  }
  auto add = [&](std::string name, auto value_of) {
    Comparison::Row row;
    row.name = std::move(name);
    for (const ComparedRun& r : runs) row.values.push_back(value_of(r.report));
    if (std::all_of(row.values.begin(), row.values.end(), [](auto v) { return !v; })) return;
    const std::optional<double> b = row.values.front();
    for (size_t i = 1; i < row.values.size(); ++i) {
      const std::optional<double> v = row.values[i];
      row.diff.push_back(b && v ? std::optional<double>(*v - *b) : std::nullopt);
      row.ratio.push_back(b && v && *b != 0 ? std::optional<double>(*v / *b) : std::nullopt);
    }
    c.rows.push_back(std::move(row));
  };
  for (const auto& [name, at] : KeyFigures()) {
    const json::json_pointer p(at);
    add(name, [&p](const json& r) { return Number(r, p); });
  }
  const json::json_pointer tenants("/tenants"), sites("/power/sites");
  for (const std::string& t : NamesIn(runs, tenants)) {
    for (const auto& [label, field] :
         {std::pair{"GPU-hours", "/gpu_hours"}, std::pair{"queue wait p95 (s)", "/queue_s/p95"},
          std::pair{"JCT p50 (s)", "/jct_s/p50"}}) {
      const json::json_pointer f(field);
      add("tenant " + t + ": " + label,
          [&](const json& r) { return NamedNumber(r, tenants, t, f); });
    }
  }
  for (const std::string& s : NamesIn(runs, sites)) {
    for (const auto& [label, field] :
         {std::pair{"peak IT power (MW)", "/peak_mw"}, std::pair{"IT energy (MWh)", "/energy_mwh"},
          std::pair{"time capped (s)", "/time_capped_s"}}) {
      const json::json_pointer f(field);
      add("site " + s + ": " + label, [&](const json& r) { return NamedNumber(r, sites, s, f); });
    }
  }
  return c;
}

nlohmann::ordered_json ComparisonJson(const Comparison& c) {
  using ojson = nlohmann::ordered_json;
  auto values = [](const std::vector<std::optional<double>>& v) {
    ojson out = ojson::array();
    for (const std::optional<double>& x : v) out.push_back(x ? ojson(*x) : ojson(nullptr));
    return out;
  };
  ojson rows = ojson::array();
  for (const Comparison::Row& r : c.rows) {
    rows.push_back({{"name", r.name},
                    {"values", values(r.values)},
                    {"diff", values(r.diff)},
                    {"ratio", values(r.ratio)}});
  }
  return {{"runs", c.runs}, {"notes", c.notes}, {"rows", rows}};
}

}  // namespace gpufleet
