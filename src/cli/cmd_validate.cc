// gpufleet validate: check specs without running anything.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/workload_check.h"
#include "report/report.h"
#include "spec/specs.h"
#include "util/duration.h"

namespace gpufleet::cli {
namespace {

// Above this offered load a queue grows for as long as jobs arrive: waits then measure the
// length of the run, not the scheduler.
constexpr double kOverloaded = 1.0;

std::string Percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100 * fraction);
  return buf;
}

// A latency target: milliseconds below a second.
std::string Latency(double s) {
  char text[32];
  std::snprintf(text, sizeof text, s < 1 ? "%.0f ms" : "%.3g s", s < 1 ? s * 1000 : s);
  return text;
}

void DescribeWorkload(const WorkloadSpec& w, const Fleet* fleet, const std::string& file) {
  std::cout << "    " << Counted(static_cast<std::int64_t>(w.tenants.size()), "tenant") << ", "
            << Counted(static_cast<std::int64_t>(w.jobs.size()), "explicit job") << ", "
            << Counted(static_cast<std::int64_t>(w.generators.size()), "generator") << ", "
            << Counted(static_cast<std::int64_t>(w.failures.size()), "scripted failure") << "\n";
  for (const GeneratorSpec& g : w.generators) {
    // GPUs kept busy while it runs = mean GPUs x mean duration / mean gap.
    const double gpus = g.gpus.Mean();
    const double duration_ms = g.duration_ms.Mean();
    const double busy = gpus * duration_ms / g.mean_interarrival_ms;
    char line[256];
    std::snprintf(line, sizeof line,
                  "    generator %s: mean %.1f GPUs x %s, one job per %s -> %s GPUs busy while it "
                  "runs\n",
                  g.name.c_str(), gpus, HumanSeconds(duration_ms / 1000).c_str(),
                  HumanSeconds(g.mean_interarrival_ms / 1000).c_str(),
                  Grouped(static_cast<std::int64_t>(busy + 0.5)).c_str());
    std::cout << line;
  }
  for (const ServiceSpec& sv : w.services) {
    const ServiceDemandSpec& d = sv.demand;
    char demand[160];
    if (!d.trace_path.empty()) {
      std::snprintf(demand, sizeof demand, "the Azure LLM trace %s at %gx%s", d.trace_path.c_str(),
                    d.rate_scale, d.repeat ? ", repeated" : "");
    } else if (d.rate.trough_rps < d.rate.peak_rps) {
      std::snprintf(demand, sizeof demand, "%g to %g requests/s over %s", d.rate.trough_rps,
                    d.rate.peak_rps, HumanSeconds(d.rate.period_s).c_str());
    } else {
      std::snprintf(demand, sizeof demand, "%g requests/s", d.rate.peak_rps);
    }
    char line[512];
    std::snprintf(line, sizeof line,
                  "    service %s: %s (%s) on %d x %s per replica, %d to %d replicas, p%g TTFT <= "
                  "%s and TPOT <= %s, %s%s\n",
                  sv.name.c_str(), sv.served.model.name.c_str(),
                  ServingPrecisionName(sv.served.weights), sv.gpus_per_replica,
                  sv.gpu_model.c_str(), sv.min_replicas, sv.max_replicas, sv.slo.percentile,
                  Latency(sv.slo.ttft_s).c_str(), Latency(sv.slo.tpot_s).c_str(), demand,
                  sv.fluid_window_s > 0
                      ? ("; fluid by " + HumanSeconds(sv.fluid_window_s) + " windows").c_str()
                      : "");
    std::cout << line;
  }
  for (const OutageSpec& o : w.outages) {
    std::cout << "    outage of " << (o.site.empty() ? "provider " + o.provider : "site " + o.site)
              << " at " << HumanSeconds(ToSeconds(o.at)) << " for "
              << HumanSeconds(ToSeconds(o.duration)) << "\n";
  }
  if (fleet == nullptr) return;
  const OfferedLoad load = EstimateOfferedLoad(w, *fleet);
  if (load.window_s <= 0) return;
  std::cout << "    offered load over " << HumanSeconds(load.window_s)
            << " (to the last arrival), explicit jobs included, per GPU model:\n";
  for (const OfferedLoad::Model& m : load.models) {
    char line[160];
    std::snprintf(line, sizeof line, "      %-10s %5s of %s GPUs\n", m.name.c_str(),
                  Percent(m.Fraction()).c_str(), Grouped(m.gpus).c_str());
    std::cout << line;
  }
  if (load.models.size() > 1) {
    char line[160];
    std::snprintf(
        line, sizeof line, "      %-10s %5s of %s GPUs\n", "all",
        Percent(load.gpus > 0 ? load.busy_gpus / static_cast<double>(load.gpus) : 0).c_str(),
        Grouped(load.gpus).c_str());
    std::cout << line;
  }
  for (const OfferedLoad::Model& m : load.models) {
    if (m.Fraction() > kOverloaded) {
      std::cerr << "warning: " << file << ": the offered load on the " << m.name << " GPUs is "
                << Percent(m.Fraction())
                << " of their capacity: their queue grows for as long as jobs arrive\n";
    }
  }
}

int RunValidate(const std::vector<std::string>& files) {
  int status = kExitOk;
  std::optional<Fleet> fleet;
  std::string fleet_file;
  int fleets = 0;
  // Each workload, what of it read cleanly, and whether it had spec errors.
  struct Workload {
    std::string file;
    WorkloadSpec spec;
    bool whole = true;
  };
  std::vector<Workload> workloads;
  for (const std::string& file : files) {
    Result<SpecKind> kind = DetectSpecKind(file);
    if (!kind.ok()) {
      std::cerr << kind.message() << "\n";
      status = kExitBadInput;
      continue;
    }
    if (kind.value() == SpecKind::kFleet) {
      Result<Fleet> f = LoadFleet(file);
      if (!f.ok()) {
        std::cerr << f.message() << "\n";
        status = kExitBadInput;
        continue;
      }
      std::cout << "ok  " << file << ": fleet, " << Counted(f.value().total_gpus(), "GPU") << " on "
                << Counted(f.value().num_nodes(), "node") << " in "
                << Counted(static_cast<std::int64_t>(f.value().sites().size()), "site") << "\n";
      ++fleets;
      if (!fleet) {
        fleet.emplace(std::move(f).value());
        fleet_file = file;
      }
    } else {
      // Spec errors do not stop the fleet checks: the items that read cleanly are checked too,
      // so that one run reports every problem.
      PartialWorkload w = LoadWorkloadAsFarAsItGoes(file);
      if (!w.errors.empty()) {
        std::cerr << w.errors << "\n";
        status = kExitBadInput;
      }
      workloads.push_back({file, std::move(w.spec), w.errors.empty()});
    }
  }
  if (fleets > 1 && !workloads.empty()) {
    std::cerr << "note: " << fleets << " fleets given: workloads are checked against the first, "
              << fleet_file << "\n";
  }
  for (auto& [file, w, whole] : workloads) {
    // With a fleet given, also check what only the fleet can tell: GPU models, failure targets,
    // jobs that can never run on it - every problem, not the first.
    bool good = whole;
    if (fleet) {
      const FleetCheck check = CheckAgainstFleet(w, *fleet, file);
      for (const std::string& e : check.errors) std::cerr << e << "\n";
      for (const std::string& e : check.warnings) std::cerr << "warning: " << e << "\n";
      if (!check.errors.empty()) {
        status = kExitBadInput;
        good = false;
      }
    }
    if (!good) continue;
    std::cout << "ok  " << file << ": workload" << (fleet ? " (checked against the fleet)" : "")
              << "\n";
    DescribeWorkload(w, fleet ? &*fleet : nullptr, file);
  }
  return status;
}

}  // namespace

Runner AddValidateCommand(CLI::App& app) {
  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "validate",
      "Check fleet and workload specs and report every error with file:line:column.\n"
      "The kind of each file is told by its content (a fleet has 'sites'). Given a fleet,\n"
      "workloads are also checked against it (GPU models, failure targets, jobs that can never\n"
      "run on it) and their offered load is estimated per GPU model; a workload with spec\n"
      "errors is still checked there, for the entries that read cleanly. With several fleets,\n"
      "workloads are checked against the first. Exit code 2 on errors.");
  cmd->add_option("files", *files, "Spec files (YAML).")->required()->check(CLI::ExistingFile);
  cmd->footer(
      "Example:\n  gpufleet validate examples/fleets/multicloud.yaml "
      "examples/workloads/multicloud.yaml");
  return [files] { return RunValidate(*files); };
}

}  // namespace gpufleet::cli
