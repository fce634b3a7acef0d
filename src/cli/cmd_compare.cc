// gpufleet compare A.json B.json [...]: runs' reports side by side, the first as the baseline
// (report/compare.h; docs/REPORT.md, "Comparing runs").
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/html_output.h"
#include "report/compare.h"
#include "report/html_report.h"
#include "util/text.h"

namespace gpufleet::cli {
namespace {

constexpr const char* kMe = "gpufleet compare: ";

struct CompareArgs {
  std::vector<std::string> reports;
  std::string html;  // the page of the comparison, or empty
  bool force = false;
  bool json = false;
};

// A figure for people: large ones grouped (1,234,567), small ones with four significant digits.
std::string Figure(std::optional<double> v, bool signed_diff = false) {
  if (!v) return "-";
  const double x = *v;
  char buf[64];
  if (std::fabs(x) >= 1000 || (x == std::round(x) && std::fabs(x) < 1e15)) {
    const std::string g = Grouped(static_cast<std::int64_t>(std::llround(x)));
    return (signed_diff && x > 0 ? "+" : "") + g;
  }
  std::snprintf(buf, sizeof buf, signed_diff ? "%+.4g" : "%.4g", x);
  return buf;
}

std::string Ratio(std::optional<double> v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fx", *v);
  return buf;
}

std::string Column(char c) { return std::string(1, c); }

int Run(const CompareArgs& a) {
  if (!a.html.empty() && !HtmlPagesPossible(kMe)) return kExitFailure;
  if (a.html == "-" && a.json) {
    std::cerr << kMe << "--html - and --json would both write to standard output\n";
    return kExitBadInput;
  }
  std::vector<ComparedRun> runs;
  for (const std::string& file : a.reports) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << kMe << file << ": cannot be read\n";
      return kExitBadInput;
    }
    std::ostringstream text;
    text << in.rdbuf();
    try {
      runs.push_back({file, nlohmann::json::parse(text.str())});
    } catch (const nlohmann::json::parse_error& e) {
      std::cerr << kMe << file << ": not JSON (byte " << e.byte << "): expected a report of "
                << "`gpufleet sim --report`\n";
      return kExitBadInput;
    }
  }
  Result<Comparison> compared = CompareRuns(runs, a.force);
  if (!compared.ok()) {
    std::cerr << kMe << compared.message() << "\n";
    return kExitBadInput;
  }
  const Comparison& c = compared.value();
  if (!a.html.empty() &&
      !WriteHtmlPage(a.html, ComparisonPage(c, runs, "gpufleet " GPUFLEET_VERSION), kMe))
    return kExitFailure;
  if (a.html == "-") return kExitOk;
  if (a.json) {
    std::cout << ComparisonJson(c).dump(2) << "\n";
    return kExitOk;
  }
  const size_t n = c.runs.size();
  for (size_t i = 0; i < n; ++i)
    std::cout << Column(static_cast<char>('A' + i)) << " = " << c.runs[i]
              << (i == 0 ? "   (the baseline)" : "") << "\n";
  for (const std::string& note : c.notes) std::cout << "note: " << note << "\n";
  std::cout << "\n";
  size_t name_width = 6;
  for (const Comparison::Row& r : c.rows) name_width = std::max(name_width, r.name.size());
  constexpr int kWidth = 16;
  std::printf("%-*s", static_cast<int>(name_width), "");
  for (size_t i = 0; i < n; ++i)
    std::printf("%*s", kWidth, Column(static_cast<char>('A' + i)).c_str());
  for (size_t i = 1; i < n; ++i) {
    const std::string run = Column(static_cast<char>('A' + i));
    std::printf("%*s%*s", kWidth, (run + " - A").c_str(), 10, (run + " / A").c_str());
  }
  std::printf("\n");
  for (const Comparison::Row& r : c.rows) {
    std::printf("%-*s", static_cast<int>(name_width), r.name.c_str());
    for (const std::optional<double>& v : r.values) std::printf("%*s", kWidth, Figure(v).c_str());
    for (size_t i = 0; i + 1 < n; ++i) {
      std::printf("%*s%*s", kWidth, Figure(r.diff[i], true).c_str(), 10, Ratio(r.ratio[i]).c_str());
    }
    std::printf("\n");
  }
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace

Runner AddCompareCommand(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Runs' JSON reports side by side (gpufleet sim --report): key figures, by tenant and by "
      "site, each run against the first with its difference and ratio. Runs of a different "
      "fleet, workload, traces or --until are refused unless --force.");
  cmd->add_option("reports", args->reports, "Two or more JSON reports; the first is the baseline.")
      ->required()
      ->expected(2, -1)
      ->check(CLI::ExistingFile);
  cmd->add_flag("--force", args->force,
                "Compare runs of different inputs anyway (the table then says how they differ).");
  cmd->add_flag("--json", args->json, "Print the comparison as JSON (keys: docs/REPORT.md).");
  cmd->add_option("--html", args->html,
                  "Also write the comparison as one self-contained HTML page: the table, and the "
                  "runs' GPUs busy, IT power and JCT and queue-wait distributions overlaid (from "
                  "reports of `sim --series` or `--html`). '-': standard output.");
  cmd->footer(
      "Example:\n"
      "  gpufleet sim --fleet f.yaml --workload w.yaml --policy fifo --report fifo.json\n"
      "  gpufleet sim --fleet f.yaml --workload w.yaml --policy backfill --report backfill.json\n"
      "  gpufleet compare fifo.json backfill.json --html fifo-vs-backfill.html");
  return [args] { return Run(*args); };
}

}  // namespace gpufleet::cli
