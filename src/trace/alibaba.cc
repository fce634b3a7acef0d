// Alibaba's GPU traces: the 2023 "openb" pod and node lists (Weng et al., ATC'23) and the PAI 2020
// job and task tables with their machine spec (Weng et al., NSDI'22). Their jobs share GPUs
// (milli-GPU, or percent of a GPU), ask for CPU and memory, and may be bound to a GPU model.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include "trace/importer.h"
#include "util/text.h"

namespace gpufleet::trace_internal {

std::string ModelName(std::string_view trace_label) { return Lowercase(trace_label); }

// openb pods: name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,
// deletion_time,scheduled_time. Times in seconds from the start of the trace.
Result<TraceJobs> LoadOpenb(const TraceArg& arg, const TraceOptions& options) {
  Result<CsvFile> opened = CsvFile::Open(arg.path);
  if (!opened.ok()) return opened.error();
  CsvFile& f = opened.value();
  const char* names[7] = {"name",      "cpu_milli",     "memory_mib",   "num_gpu",
                          "gpu_milli", "creation_time", "deletion_time"};
  int col[7];
  for (int i = 0; i < 7; ++i) {
    Result<int> c = f.Column(names[i]);
    if (!c.ok()) return c.error();
    col[i] = c.value();
  }
  const std::optional<int> spec_col = f.FindColumn("gpu_spec");
  TraceBuilder b(arg, options);
  const int tenant = b.Tenant("openb");
  while (f.Next()) {
    b.CountRow();
    if (Status q = b.CheckRow(f); !q.ok()) return Error{q.message()};
    if (f.unterminated_quote()) continue;
    Result<std::int64_t> cpu = ReadInteger(f, col[1]);
    Result<std::int64_t> mem = ReadInteger(f, col[2]);
    Result<std::int64_t> gpus = ReadInteger(f, col[3]);
    Result<std::int64_t> milli = ReadInteger(f, col[4]);
    Result<std::int64_t> created = ReadInteger(f, col[5]);
    Result<std::int64_t> deleted = ReadInteger(f, col[6]);
    std::optional<Error> problem;
    std::string reason;
    for (auto [r, why] : {std::pair{&cpu, "cpu_milli"},
                          {&mem, "memory_mib"},
                          {&gpus, "num_gpu"},
                          {&milli, "gpu_milli"},
                          {&created, "creation_time"},
                          {&deleted, "deletion_time"}}) {
      if (!problem && !r->ok())
        problem = r->error(), reason = std::string(why) + ": not an integer";
    }
    if (!problem && (cpu.value() < 0 || mem.value() < 0)) {
      problem = Error{f.Where(col[1]) + "expected CPU and memory requests >= 0"},
      reason = "negative request";
    } else if (!problem && cpu.value() > kMaxJobCpuMilli) {
      problem = Error{f.Where(col[1]) + "expected at most " + std::to_string(kMaxJobCpuMilli) +
                      " milli-CPU, got '" + std::string(f.Field(col[1])) + "'"},
      reason = "cpu_milli: out of range";
    } else if (!problem && mem.value() > kMaxJobMemoryMib) {
      problem = Error{f.Where(col[2]) + "expected at most " + std::to_string(kMaxJobMemoryMib) +
                      " MiB, got '" + std::string(f.Field(col[2])) + "'"},
      reason = "memory_mib: out of range";
    } else if (!problem && (gpus.value() < 0 || gpus.value() > 64)) {
      problem = Error{f.Where(col[3]) + "expected 0 to 64 GPUs, got '" +
                      std::string(f.Field(col[3])) + "'"},
      reason = "num_gpu: out of range";
    } else if (!problem && gpus.value() > 0 && milli.value() <= 0) {
      problem = Error{f.Where(col[4]) + "expected a positive share of each GPU for a GPU pod"},
      reason = "gpu_milli: not positive";
    } else if (!problem && (created.value() < 0 || created.value() > kMaxTraceSeconds)) {
      problem = Error{f.Where(col[5]) + "expected seconds from 0 to 100 years"},
      reason = "creation_time: out of range";
    } else if (!problem && deleted.value() > created.value() + kMaxTraceWholeSeconds) {
      // Its run time would not fit simulated time, and is not something to simulate anyway.
      problem = Error{f.Where(col[6]) + "expected a deletion within 100 years of the creation"},
      reason = "deletion_time: out of range";
    }
    if (problem) {
      Status s = b.BadRow(*problem, reason);
      if (!s.ok()) return Error{s.message()};
      continue;
    }
    if (gpus.value() == 0) {
      b.Exclude("no GPUs (CPU-only job)");
      continue;
    }
    const std::string spec = spec_col ? std::string(f.Field(*spec_col)) : "";
    if (deleted.value() <= created.value()) {
      b.Exclude("zero duration");
      continue;
    }
    JobSpec j;
    j.name = std::string(f.Field(col[0]));
    j.gpus = static_cast<std::int32_t>(gpus.value());
    j.gpu_milli = static_cast<std::int32_t>(std::min<std::int64_t>(milli.value(), kMilliPerGpu));
    j.cpu_milli = cpu.value();
    j.memory_mib = mem.value();
    // At most kMaxTraceSeconds (checked above): the conversion cannot fail.
    j.duration = WholeSecondsToMs(deleted.value() - created.value()).value();
    j.estimate = j.duration;
    j.tenant = tenant;
    b.Add(std::move(j), static_cast<double>(created.value()), spec.empty() ? "" : ModelName(spec));
  }
  return b.Finish(/*absolute_times=*/false);
}

namespace {

struct PaiTask {
  std::int64_t instances = 0;
  double plan_cpu = 0, plan_mem = 0, plan_gpu = 0;  // per instance: % of a core, GB, % of a GPU
  std::string gpu_type;
};

}  // namespace

// PAI 2020: the folder holds pai_job_table.csv (job_name,inst_id,user,status,start_time,end_time)
// and pai_task_table.csv (job_name,task_name,inst_num,status,start_time,end_time,plan_cpu,
// plan_mem,plan_gpu,gpu_type), without header rows as published. Times are epoch seconds.
Result<TraceJobs> LoadPai2020(const TraceArg& arg, const TraceOptions& options) {
  const std::filesystem::path dir(arg.path);
  const std::vector<std::string> task_cols = {"job_name",   "task_name", "inst_num", "status",
                                              "start_time", "end_time",  "plan_cpu", "plan_mem",
                                              "plan_gpu",   "gpu_type"};
  Result<CsvFile> tasks_file =
      CsvFile::Open((dir / "pai_task_table.csv").string(), ',', false, task_cols);
  if (!tasks_file.ok()) return tasks_file.error();
  TraceBuilder b(arg, options);
  std::map<std::string, std::vector<PaiTask>> tasks;
  CsvFile& tf = tasks_file.value();
  while (tf.Next()) {
    if (tf.fields() != 10) {
      Status s = b.BadRow(
          Error{tf.WhereRow() + "expected the 10 task columns, got " + std::to_string(tf.fields())},
          "task row: wrong number of fields");
      if (!s.ok()) return Error{s.message()};
      continue;
    }
    PaiTask t;
    Result<std::int64_t> inst = ReadInteger(tf, 2);
    // plan_* are empty for tasks that asked for nothing.
    auto number = [&](int c) -> Result<double> {
      return tf.Field(c).empty() ? Result<double>(0.0) : ReadNumber(tf, c);
    };
    Result<double> cpu = number(6), mem = number(7), gpu = number(8);
    std::optional<Error> problem;
    for (const Result<double>* r : {&cpu, &mem, &gpu}) {
      if (!problem && !r->ok()) problem = r->error();
    }
    if (!inst.ok()) problem = inst.error();
    if (!problem && (inst.value() < 0 || cpu.value() < 0 || mem.value() < 0 || gpu.value() < 0)) {
      problem = Error{tf.WhereRow() + "expected inst_num and plan_* >= 0"};
    } else if (!problem && inst.value() > kMaxJobGpus) {
      problem = Error{tf.Where(2) + "expected at most " + std::to_string(kMaxJobGpus) +
                      " instances, got '" + std::string(tf.Field(2)) + "'"};
    }
    if (problem) {
      Status s = b.BadRow(*problem, "task row: bad number");
      if (!s.ok()) return Error{s.message()};
      continue;
    }
    t.instances = inst.value();
    t.plan_cpu = cpu.value();
    t.plan_mem = mem.value();
    t.plan_gpu = gpu.value();
    t.gpu_type = std::string(tf.Field(9));
    tasks[std::string(tf.Field(0))].push_back(std::move(t));
  }

  const std::vector<std::string> job_cols = {"job_name", "inst_id",    "user",
                                             "status",   "start_time", "end_time"};
  Result<CsvFile> jobs_file =
      CsvFile::Open((dir / "pai_job_table.csv").string(), ',', false, job_cols);
  if (!jobs_file.ok()) return jobs_file.error();
  CsvFile& jf = jobs_file.value();
  while (jf.Next()) {
    b.CountRow();
    if (jf.fields() != 6) {
      Status s = b.BadRow(
          Error{jf.WhereRow() + "expected the 6 job columns, got " + std::to_string(jf.fields())},
          "job row: wrong number of fields");
      if (!s.ok()) return Error{s.message()};
      continue;
    }
    if (jf.Field(4).empty() || jf.Field(5).empty()) {
      b.Exclude("never finished (no start or end time)");
      continue;
    }
    Result<double> start = ReadNumber(jf, 4), end = ReadNumber(jf, 5);
    if (!start.ok() || !end.ok()) {
      Status s =
          b.BadRow(start.ok() ? end.error() : start.error(), "start_time/end_time: not a number");
      if (!s.ok()) return Error{s.message()};
      continue;
    }
    const auto it = tasks.find(std::string(jf.Field(0)));
    if (it == tasks.end()) {
      b.Exclude("no task in the task table");
      continue;
    }
    // GPUs: every GPU instance asks for the same share (plan_gpu, % of a GPU); below 100 the
    // instances share GPUs, at multiples of 100 they take whole ones.
    std::int64_t instances = 0;
    double share = -1, cpu = 0, mem = 0;
    std::string type;
    bool mixed_share = false, mixed_type = false;
    for (const PaiTask& t : it->second) {
      cpu += t.plan_cpu * static_cast<double>(t.instances);
      mem += t.plan_mem * static_cast<double>(t.instances);
      if (t.plan_gpu <= 0) continue;
      if (share >= 0 && t.plan_gpu != share) mixed_share = true;
      if (!type.empty() && t.gpu_type != type) mixed_type = true;
      share = t.plan_gpu;
      type = t.gpu_type;
      instances += t.instances;
    }
    const double duration = end.value() - start.value();
    if (share < 0 || instances == 0) {
      b.Exclude("no GPUs (CPU-only job)");
    } else if (mixed_share) {
      b.Exclude("tasks with different GPU shares (not modelled)");
    } else if (mixed_type) {
      b.Exclude("tasks on different GPU models (not modelled)");
    } else if (share > 100 && std::fmod(share, 100) != 0) {
      b.Exclude("a GPU share above one GPU that is not whole GPUs (not modelled)");
    } else if (duration <= 0) {
      b.Exclude("zero duration");
    } else if (duration > kMaxTraceSeconds) {
      Status s = b.BadRow(Error{jf.Where(5) + "expected a job shorter than 100 years"},
                          "duration: too large");
      if (!s.ok()) return Error{s.message()};
    } else {
      // The job's sums, checked before they become integers: GPUs, plan_cpu in percent of a core,
      // plan_mem in GB.
      const double gpus = share <= 100 ? static_cast<double>(instances)
                                       : static_cast<double>(instances) * std::floor(share / 100);
      Result<std::int64_t> cpu_milli = ScaledInRange(
          cpu, 10, 0, kMaxJobCpuMilli, "a job's plan_cpu x inst_num (percent of a core)");
      Result<std::int64_t> memory_mib =
          ScaledInRange(mem, 1024, 0, kMaxJobMemoryMib, "a job's plan_mem x inst_num (GB)");
      std::optional<Error> problem;
      if (gpus > static_cast<double>(kMaxJobGpus)) {
        problem =
            Error{jf.WhereRow() + "job '" + std::string(jf.Field(0)) + "': expected at most " +
                  std::to_string(kMaxJobGpus) + " GPUs in all, got " + ShownNumber(gpus)};
      } else if (!cpu_milli.ok()) {
        problem =
            Error{jf.WhereRow() + "job '" + std::string(jf.Field(0)) + "': " + cpu_milli.message()};
      } else if (!memory_mib.ok()) {
        problem = Error{jf.WhereRow() + "job '" + std::string(jf.Field(0)) +
                        "': " + memory_mib.message()};
      }
      if (problem) {
        Status s = b.BadRow(*problem, "tasks: request out of range");
        if (!s.ok()) return Error{s.message()};
        continue;
      }
      JobSpec j;
      j.name = std::string(jf.Field(0));
      j.gpus = static_cast<std::int32_t>(gpus);  // at most kMaxJobGpus (checked above)
      j.gpu_milli =
          share < 100 ? std::max(1, static_cast<int>(std::llround(share * 10))) : kMilliPerGpu;
      j.cpu_milli = cpu_milli.value();
      j.memory_mib = memory_mib.value();
      j.duration = SecondsToMs(duration).value();  // at most kMaxTraceSeconds: cannot fail
      j.estimate = j.duration;
      j.tenant = b.Tenant(jf.Field(2).empty() ? "unknown" : std::string(jf.Field(2)));
      const std::string model = type.empty() || type == "CPU" ? "" : ModelName(type);
      b.Add(std::move(j), start.value(), model);
    }
  }
  return b.Finish(/*absolute_times=*/true);
}

}  // namespace gpufleet::trace_internal

namespace gpufleet {

bool IsTraceFleetArg(std::string_view arg) {
  return arg.rfind("openb-nodes:", 0) == 0 || arg.rfind("pai-machines:", 0) == 0;
}

Result<TraceFleet> LoadTraceFleet(std::string_view arg) {
  const bool openb = arg.rfind("openb-nodes:", 0) == 0;
  if (!openb && arg.rfind("pai-machines:", 0) != 0) {
    return Error{"expected openb-nodes:FILE or pai-machines:FILE, got '" + std::string(arg) + "'"};
  }
  const std::string path(arg.substr(arg.find(':') + 1));
  // openb: sn,cpu_milli,memory_mib,gpu,model (header). PAI: machine,gpu_type,cap_cpu (cores),
  // cap_mem (GB),cap_gpu (no header).
  Result<CsvFile> opened =
      openb ? CsvFile::Open(path)
            : CsvFile::Open(path, ',', false,
                            {"machine", "gpu_type", "cap_cpu", "cap_mem", "cap_gpu"});
  if (!opened.ok()) return opened.error();
  CsvFile& f = opened.value();
  int c_model, c_cpu, c_mem, c_gpu;
  if (openb) {
    const char* names[4] = {"model", "cpu_milli", "memory_mib", "gpu"};
    int* cols[4] = {&c_model, &c_cpu, &c_mem, &c_gpu};
    for (int i = 0; i < 4; ++i) {
      Result<int> c = f.Column(names[i]);
      if (!c.ok()) return c.error();
      *cols[i] = c.value();
    }
  } else {
    c_model = 1, c_cpu = 2, c_mem = 3, c_gpu = 4;
  }
  // Machines of one shape share a node type: (model, GPUs, milli-CPU, MiB) -> count.
  std::map<std::tuple<std::string, int, std::int64_t, std::int64_t>, int> shapes;
  std::int64_t without_gpus = 0;
  std::set<std::string> models;
  while (f.Next()) {
    Result<std::int64_t> gpus = ReadInteger(f, c_gpu);
    Result<double> cpu = ReadNumber(f, c_cpu), mem = ReadNumber(f, c_mem);
    if (!gpus.ok()) return gpus.error();
    if (!cpu.ok()) return cpu.error();
    if (!mem.ok()) return mem.error();
    if (gpus.value() < 0 || gpus.value() > 64)
      return Error{f.Where(c_gpu) + "expected 0 to 64 GPUs"};
    if (cpu.value() < 0 || mem.value() < 0)
      return Error{f.Where(c_cpu) + "expected capacities >= 0"};
    const std::string model = trace_internal::ModelName(f.Field(c_model));
    if (gpus.value() == 0 || model.empty() || model == "cpu") {
      ++without_gpus;
      continue;
    }
    // Capacities as node types hold them (milli-cores, MiB), within a node's limits.
    constexpr auto kMaxCpuMilli = static_cast<std::int64_t>(kMaxNodeCpuCores * 1000);
    constexpr auto kMaxMemoryMib = static_cast<std::int64_t>(kMaxNodeMemoryGb * 1024);
    Result<std::int64_t> cpu_milli =
        ScaledInRange(cpu.value(), openb ? 1 : 1000, 0, kMaxCpuMilli,
                      openb ? "milli-CPU of a machine" : "CPU cores of a machine");
    if (!cpu_milli.ok()) return Error{f.Where(c_cpu) + cpu_milli.message()};
    Result<std::int64_t> mem_mib =
        ScaledInRange(mem.value(), openb ? 1 : 1024, 0, kMaxMemoryMib,
                      openb ? "MiB of memory of a machine" : "GB of memory of a machine");
    if (!mem_mib.ok()) return Error{f.Where(c_mem) + mem_mib.message()};
    // GPU models are a 64-bit mask per job: say so at the machine that brings the 65th.
    if (models.insert(model).second && models.size() > static_cast<size_t>(kMaxGpuModels)) {
      return Error{f.Where(c_model) + "'" + std::string(f.Field(c_model)) + "' would be the " +
                   std::to_string(kMaxGpuModels + 1) +
                   "th GPU model of the fleet; a fleet may have " + "at most " +
                   std::to_string(kMaxGpuModels) + " (docs/SPEC.md, \"Limits\")"};
    }
    shapes[{model, static_cast<int>(gpus.value()), cpu_milli.value(), mem_mib.value()}]++;
  }
  if (shapes.empty()) return Error{path + ": no machine with GPUs"};
  FleetSpec spec;
  spec.providers.push_back(OwnedProvider("alibaba"));
  SiteSpec site;
  site.site.name = openb ? "openb" : "pai";
  site.site.location = "Alibaba PAI";
  site.site.power_budget_mw = 100;  // not given by the trace
  LeafGroupSpec leaf;
  for (const auto& [shape, count] : shapes) {
    const auto& [model, gpus, cpu_milli, mem_mib] = shape;
    if (FindGpuModel(model) == nullptr &&
        std::none_of(spec.extra_gpu_models.begin(), spec.extra_gpu_models.end(),
                     // (By name, not the binding: clang 14 cannot capture structured bindings.)
                     [&name = std::get<0>(shape)](const GpuModel& g) { return g.name == name; })) {
      // An undisclosed model: schedulable, but without figures for power or performance models.
      spec.extra_gpu_models.push_back(
          GpuModel{model, model + " (undisclosed)", 0, 0, 0, 0, 0, 0, 0, 0});
    }
    const std::string type = model + "-" + std::to_string(gpus) + "g-" +
                             std::to_string(cpu_milli / 1000) + "c-" +
                             std::to_string(mem_mib / 1024) + "g";
    spec.node_types.push_back(NodeType{type, model, gpus, 1, 0,
                                       static_cast<double>(cpu_milli) / 1000,
                                       static_cast<double>(mem_mib) / 1024});
    leaf.domains.push_back(
        DomainGroupSpec{type, count, 1, static_cast<int>(spec.node_types.size() - 1)});
  }
  PodGroupSpec pod;
  pod.leaves.push_back(std::move(leaf));
  site.pods.push_back(std::move(pod));
  spec.sites.push_back(std::move(site));
  Result<Fleet> fleet = Fleet::Build(spec);
  if (!fleet.ok()) return Error{path + ": " + fleet.message()};
  TraceFleet out{std::move(fleet).value(), ""};
  // A machine list says nothing of power: say so once, since every power figure rests on it.
  out.note = "no host power in a machine list: a node draws its GPUs' power only";
  if (without_gpus > 0)
    out.note += "; " + std::to_string(without_gpus) +
                (without_gpus == 1 ? " machine" : " machines") + " without GPUs left out";
  return out;
}

}  // namespace gpufleet
