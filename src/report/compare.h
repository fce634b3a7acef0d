// `gpufleet compare`: runs' JSON reports side by side (docs/REPORT.md, "Comparing runs"). The
// first run is the baseline; each key figure of every other run comes with its difference from
// the baseline and their ratio. Runs of different inputs are refused unless forced: a policy
// study compares policies on the same fleet and workload, and a difference of inputs would be
// read as one of policies.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace gpufleet {

struct ComparedRun {
  std::string file;       // as given, for messages and headers
  nlohmann::json report;  // parsed
};

struct Comparison {
  struct Row {
    std::string name;                           // e.g. "queue wait p95 (s)"
    std::vector<std::optional<double>> values;  // per run; nullopt where the report has none
    // Per run after the first: value - baseline, value / baseline (nullopt where either is
    // missing, or for the ratio, where the baseline is 0).
    std::vector<std::optional<double>> diff, ratio;
  };
  std::vector<std::string> runs;   // a label per run: file, policy, seed
  std::vector<std::string> notes;  // differences of inputs that --force let through, and the like
  std::vector<Row> rows;
};

// The figures of `runs` (at least two). Without `force`, kInvalidArgument naming the field and
// the files where the runs' fleet, workload, traces or horizon differ, or a report lacks what
// tells them (a report of an older gpufleet, or not of `gpufleet sim`).
Result<Comparison> CompareRuns(const std::vector<ComparedRun>& runs, bool force);

nlohmann::ordered_json ComparisonJson(const Comparison& c);

}  // namespace gpufleet
