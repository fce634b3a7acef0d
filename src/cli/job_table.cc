#include "cli/job_table.h"

#include <algorithm>

namespace gpufleet::cli {

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - row[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string ShortTime(const std::string& iso) {
  // YYYY-MM-DDTHH:MM:SS[.mmm]Z
  if (iso.size() < 19 || iso[10] != 'T') return iso;
  return iso.substr(0, 10) + " " + iso.substr(11, 8);
}

std::string FormatJobTable(const std::vector<JobRow>& jobs) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "NAME", "TENANT", "STATE", "GPUS", "SUBMITTED", "START", "REASON/NODES"}};
  for (const JobRow& job : jobs) {
    std::string last = job.reason;
    if (last.empty() && !job.nodes.empty()) {
      for (const std::string& node : job.nodes) last += (last.empty() ? "" : ",") + node;
    }
    if (last.empty() && job.exit_code) last = "exit " + std::to_string(*job.exit_code);
    rows.push_back({std::to_string(job.id), job.name, job.tenant, job.state,
                    std::to_string(job.gpus), ShortTime(job.submitted_at),
                    job.start.empty() ? "-" : ShortTime(job.start), last});
  }
  return FormatTable(rows);
}

}  // namespace gpufleet::cli
