// The client's tables (`gpufleet jobs`, `gpufleet nodes`): columns as wide as their widest cell,
// two spaces apart, the last one unpadded (it holds the long texts: reasons, node lists).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gpufleet::cli {

// The first row is the header.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// A job as the table shows it (docs/API.md's job, the fields the table needs).
struct JobRow {
  std::int64_t id = 0;
  std::string name;
  std::string tenant;
  std::string state;
  std::int64_t gpus = 0;
  std::string submitted_at;  // ISO 8601 as the server writes it
  std::string reason;        // while pending
  std::vector<std::string> nodes;
  std::optional<int> exit_code;
  // When it starts: a running job's start, a waiting one's forecast start (GET /v1/forecast);
  // empty: not known.
  std::string start;
};

// ID NAME TENANT STATE GPUS SUBMITTED START REASON/NODES, as squeue: when it started or, waiting,
// when the forecast says it starts ("-": not known); a pending job's reason, a placed job's nodes,
// an ended job's exit code.
std::string FormatJobTable(const std::vector<JobRow>& jobs);

// "2026-12-05T16:00:00.000Z" -> "2026-12-05 16:00:00" (UTC); other text unchanged.
std::string ShortTime(const std::string& iso);

}  // namespace gpufleet::cli
