#include "trace/trace.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <numeric>

#include "trace/importer.h"
#include "workload/job_source.h"

namespace gpufleet {
namespace trace_internal {

TraceBuilder::TraceBuilder(const TraceArg& arg, const TraceOptions& options) : options_(options) {
  out_.name = arg.Name();
}

Status TraceBuilder::BadRow(const Error& e, const std::string& reason) {
  if (!options_.skip_bad_rows)
    return Status(Error{e.message + " (use --skip-bad-rows to skip such rows)"});
  out_.skipped[reason]++;
  return Status::Ok();
}

Status TraceBuilder::CheckRow(const CsvFile& f) {
  if (!f.unterminated_quote()) return Status::Ok();
  return BadRow(Error{f.WhereRow() + "a double quote opens a field and is never closed"},
                "unterminated quote");
}

std::optional<TraceBuilder::GpusAndDuration> TraceBuilder::ReadGpusAndDuration(const CsvFile& f,
                                                                               int gpus_col,
                                                                               int duration_col,
                                                                               Status& fail) {
  const std::string gpus_name = f.header()[static_cast<size_t>(gpus_col)];
  Result<std::int64_t> gpus = ReadInteger(f, gpus_col);
  Result<double> duration = ReadNumber(f, duration_col);
  std::optional<Error> problem;
  std::string reason;
  if (!gpus.ok()) {
    problem = gpus.error(), reason = gpus_name + ": not an integer";
  } else if (gpus.value() < 0 || gpus.value() > kMaxJobGpus) {
    problem = Error{f.Where(gpus_col) + "expected a GPU count between 0 and 10000000"};
    reason = gpus_name + ": out of range";
  } else if (!duration.ok()) {
    problem = duration.error(), reason = "duration: not a number";
  } else if (duration.value() < 0) {
    problem = Error{f.Where(duration_col) + "expected a duration in seconds >= 0"},
    reason = "duration: negative";
  } else if (duration.value() > kMaxTraceSeconds) {
    problem = Error{f.Where(duration_col) + "expected a duration of at most 100 years, got '" +
                    std::string(f.Field(duration_col)) + "'"};
    reason = "duration: too large";
  }
  if (problem) {
    fail = BadRow(*problem, reason);
    return std::nullopt;
  }
  if (gpus.value() == 0) {
    Exclude("no GPUs (CPU-only job)");
    return std::nullopt;
  }
  // At most kMaxTraceSeconds (checked above): the conversion cannot fail. Under half a
  // millisecond rounds to none (found by fuzz/fuzz_trace_acme): such a job is not run either.
  const SimTime ms = SecondsToMs(duration.value()).value();
  if (ms <= 0) {
    Exclude("zero duration");
    return std::nullopt;
  }
  return GpusAndDuration{static_cast<std::int32_t>(gpus.value()), ms};
}

int TraceBuilder::Tenant(const std::string& name) {
  auto [it, added] = tenant_index_.emplace(name, static_cast<int>(out_.tenants.size()));
  if (added) out_.tenants.push_back(name);
  return it->second;
}

void TraceBuilder::Add(JobSpec job, double submit_s, std::string model) {
  out_.jobs.push_back(std::move(job));
  submit_s_.push_back(submit_s);
  models_.push_back(std::move(model));
}

Result<TraceJobs> TraceBuilder::Finish(bool absolute_times) {
  // Stable order by submission; ties keep the file's order.
  std::vector<size_t> order(out_.jobs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return submit_s_[a] < submit_s_[b]; });
  const double origin = order.empty() ? 0 : submit_s_[order.front()];
  std::vector<JobSpec> sorted;
  sorted.reserve(order.size());
  for (size_t i : order) {
    JobSpec j = std::move(out_.jobs[i]);
    const Result<SimTime> submit = SecondsToMs(submit_s_[i] - origin);
    if (!submit.ok()) {
      return Error{out_.name + ": job '" + j.name +
                   "': its submission, after the first job's: " + submit.message()};
    }
    // Like durations, submissions span at most 100 years: far inside the times the scheduler
    // accepts, so that no submission, nor its end, is refused in the middle of a run.
    if (submit_s_[i] - origin > kMaxTraceSeconds) {
      return Error{out_.name + ": job '" + j.name + "': submitted " +
                   ShownNumber(submit_s_[i] - origin) +
                   " s after the first job; a trace's submissions may span at most 100 years"};
    }
    j.submit = submit.value();
    sorted.push_back(std::move(j));
    out_.job_models.push_back(std::move(models_[i]));
  }
  out_.jobs = std::move(sorted);
  out_.origin_epoch_s = absolute_times ? origin : 0;
  return std::move(out_);
}

}  // namespace trace_internal

const std::vector<TraceFormatInfo>& TraceFormats() {
  static const std::vector<TraceFormatInfo> kFormats = {
      {TraceFormat::kPhilly, "philly",
       "Philly per-job CSV: timestamp,duration,num_gpus,gpu_time,cluster"},
      {TraceFormat::kPhillyJson, "philly-json",
       "raw Philly cluster_job_log (JSON list of jobs with attempts)"},
      {TraceFormat::kHelios, "helios",
       "Helios cluster_log.csv (job_id,user,vc,gpu_num,...,submit_time,...,duration,queue)"},
      {TraceFormat::kAcme, "acme",
       "Acme trace_seren.csv / trace_kalos.csv (job_id,user,node_num,gpu_num,...)"},
      {TraceFormat::kTiresias, "tiresias",
       "Tiresias job CSV (job_id,num_gpu,submit_time,...,duration,...)"},
      {TraceFormat::kOpenb, "openb",
       "Alibaba GPU 2023 pod list (name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,...)"},
      {TraceFormat::kPai2020, "pai",
       "Alibaba PAI 2020: a folder with pai_job_table.csv and pai_task_table.csv"},
      {TraceFormat::kGavel, "gavel",
       "Gavel TSV trace (job_type, command, ..., total_steps, arrival_time, scale_factor)"},
  };
  return kFormats;
}

std::string TraceArg::Name() const {
  for (const auto& f : TraceFormats()) {
    if (f.format == format) return std::string(f.name) + ":" + path;
  }
  return path;
}

Result<TraceArg> ParseTraceArg(std::string_view arg) {
  const size_t colon = arg.find(':');
  std::string names;
  for (const auto& f : TraceFormats()) names += (names.empty() ? "" : ", ") + std::string(f.name);
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == arg.size()) {
    return Error{"expected FORMAT:FILE with FORMAT one of " + names + ", got '" + std::string(arg) +
                 "'"};
  }
  const std::string_view format = arg.substr(0, colon);
  for (const auto& f : TraceFormats()) {
    if (format == f.name) return TraceArg{f.format, std::string(arg.substr(colon + 1))};
  }
  return Error{"unknown trace format '" + std::string(format) + "'; expected one of " + names};
}

Result<TraceJobs> LoadTrace(const TraceArg& arg, const TraceOptions& options) {
  switch (arg.format) {
    case TraceFormat::kPhilly:
      return trace_internal::LoadPhillyCsv(arg, options);
    case TraceFormat::kPhillyJson:
      return trace_internal::LoadPhillyJson(arg, options);
    case TraceFormat::kHelios:
    case TraceFormat::kAcme:
      return trace_internal::LoadHeliosOrAcme(arg, options);
    case TraceFormat::kTiresias:
      return trace_internal::LoadTiresias(arg, options);
    case TraceFormat::kGavel:
      return trace_internal::LoadGavel(arg, options);
    case TraceFormat::kOpenb:
      return trace_internal::LoadOpenb(arg, options);
    case TraceFormat::kPai2020:
      return trace_internal::LoadPai2020(arg, options);
  }
  return Error{"unknown trace format"};
}

Status AppendTrace(BoundWorkload& workload, TraceJobs trace, const Fleet& fleet) {
  std::vector<std::int32_t> remap;
  for (const std::string& name : trace.tenants) {
    auto it = std::find_if(workload.tenants.begin(), workload.tenants.end(),
                           [&](const Tenant& t) { return t.name == name; });
    if (it == workload.tenants.end()) {
      workload.tenants.push_back(Tenant{name, 1, std::nullopt});
      it = workload.tenants.end() - 1;
    }
    remap.push_back(static_cast<std::int32_t>(it - workload.tenants.begin()));
  }
  std::map<std::string, std::int64_t> missing;
  for (size_t i = 0; i < trace.jobs.size(); ++i) {
    JobSpec& j = trace.jobs[i];
    j.tenant = remap[static_cast<size_t>(j.tenant)];
    const std::string& models = i < trace.job_models.size() ? trace.job_models[i] : std::string();
    if (models.empty()) continue;
    // One model, or a set written a|b|c: the job may run on any of those the fleet has.
    std::uint64_t mask = 0;
    size_t start = 0;
    while (start <= models.size()) {
      const size_t bar = std::min(models.find('|', start), models.size());
      const ModelId m = fleet.FindModel(models.substr(start, bar - start));
      if (m != kAnyModel) mask |= ModelBit(m);
      start = bar + 1;
    }
    if (mask == 0) {
      missing[models]++;
    } else if (std::popcount(mask) == 1) {
      j.gpu_model = static_cast<ModelId>(std::countr_zero(mask));
    } else {
      j.allowed_models = mask;
    }
  }
  if (!missing.empty()) {
    std::string what;
    for (const auto& [model, n] : missing)
      what += (what.empty() ? "" : ", ") + std::to_string(n) + " ask for " + model;
    std::string have;
    for (const auto& g : fleet.gpu_models()) have += (have.empty() ? "" : ", ") + g.name;
    return Status(Error{trace.name + ": jobs are bound to GPU models the fleet does not have (" +
                        what + "); the fleet has " + have});
  }
  std::vector<std::unique_ptr<JobSource>> sources;
  sources.push_back(std::move(workload.source));
  sources.push_back(std::make_unique<VectorJobSource>(std::move(trace.jobs)));
  workload.source = std::make_unique<MergedSource>(std::move(sources));
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::int64_t>>> LoadVcQuotas(const std::string& path,
                                                                       int gpus_per_node) {
  if (gpus_per_node < 1 || gpus_per_node > 64) {
    return Error{"GPUs per node of the virtual clusters: expected 1 to 64, got " +
                 std::to_string(gpus_per_node)};
  }
  Result<CsvFile> f = CsvFile::Open(path);
  if (!f.ok()) return f.error();
  CsvFile& csv = f.value();
  Result<int> vc = csv.Column("vc");
  if (!vc.ok()) return vc.error();
  Result<int> nodes = csv.Column("node num");
  if (!nodes.ok()) return nodes.error();
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (csv.Next()) {
    Result<std::int64_t> n = ReadInteger(csv, nodes.value());
    if (!n.ok()) return n.error();
    if (n.value() < 0) return Error{csv.Where(nodes.value()) + "expected a node count >= 0"};
    // A cluster may become a fleet of its own (experiment vc-replay), and its GPUs a quota.
    if (n.value() > kMaxVcNodes) {
      return Error{csv.Where(nodes.value()) + "expected at most " + std::to_string(kMaxVcNodes) +
                   " nodes in a virtual cluster, got '" + std::string(csv.Field(nodes.value())) +
                   "'"};
    }
    const std::string name(csv.Field(vc.value()));
    if (name.empty()) return Error{csv.Where(vc.value()) + "expected a virtual-cluster name"};
    out.emplace_back(name, n.value() * gpus_per_node);
  }
  return out;
}

}  // namespace gpufleet
