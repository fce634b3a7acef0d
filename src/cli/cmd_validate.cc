// gpufleet validate: check specs without running anything.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "report/report.h"
#include "spec/specs.h"
#include "util/duration.h"

namespace gpufleet::cli {
namespace {

void DescribeWorkload(const WorkloadSpec& w, const Fleet* fleet) {
  std::cout << "    " << w.tenants.size() << " tenant(s), " << w.jobs.size() << " explicit job(s), "
            << w.generators.size() << " generator(s), " << w.failures.size()
            << " scripted failure(s)\n";
  for (const GeneratorSpec& g : w.generators) {
    // Offered load: GPUs kept busy on average = mean GPUs x mean duration / mean gap.
    const double gpus = g.gpus.Mean();
    const double duration_ms = g.duration_ms.Mean();
    const double busy = gpus * duration_ms / g.mean_interarrival_ms;
    char line[256];
    std::snprintf(line, sizeof line,
                  "    generator %s: mean %.1f GPUs x %s, one job per %s -> offered load %.0f GPUs",
                  g.name.c_str(), gpus, HumanSeconds(duration_ms / 1000).c_str(),
                  HumanSeconds(g.mean_interarrival_ms / 1000).c_str(), busy);
    std::cout << line;
    if (fleet != nullptr && fleet->total_gpus() > 0) {
      std::snprintf(line, sizeof line, " (%.0f%% of the fleet)",
                    100 * busy / static_cast<double>(fleet->total_gpus()));
      std::cout << line;
    }
    std::cout << "\n";
  }
}

int RunValidate(const std::vector<std::string>& files) {
  int status = kExitOk;
  std::optional<Fleet> fleet;
  std::vector<std::pair<std::string, WorkloadSpec>> workloads;
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
      std::cout << "ok  " << file << ": fleet, " << Grouped(f.value().total_gpus()) << " GPUs on "
                << Grouped(f.value().num_nodes()) << " nodes in " << f.value().sites().size()
                << " site(s)\n";
      if (!fleet) fleet.emplace(std::move(f).value());
    } else {
      Result<WorkloadSpec> w = LoadWorkload(file);
      if (!w.ok()) {
        std::cerr << w.message() << "\n";
        status = kExitBadInput;
        continue;
      }
      workloads.emplace_back(file, std::move(w).value());
    }
  }
  for (auto& [file, w] : workloads) {
    // With a fleet given, also check what only the fleet can tell: GPU models and failure targets.
    if (fleet) {
      Result<BoundWorkload> b = BindWorkload(w, *fleet, 1);
      if (!b.ok()) {
        std::cerr << b.message() << "\n";
        status = kExitBadInput;
        continue;
      }
    }
    std::cout << "ok  " << file << ": workload" << (fleet ? " (checked against the fleet)" : "")
              << "\n";
    DescribeWorkload(w, fleet ? &*fleet : nullptr);
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
      "workloads are also checked against it (GPU models, failure targets). Exit code 2 on "
      "errors.");
  cmd->add_option("files", *files, "Spec files (YAML).")->required()->check(CLI::ExistingFile);
  return [files] { return RunValidate(*files); };
}

}  // namespace gpufleet::cli
