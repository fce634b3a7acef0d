// The Azure LLM inference trace (Patel et al., Splitwise, ISCA'24; docs/TRACES.md): one row per
// request, TIMESTAMP,ContextTokens,GeneratedTokens - when it arrived, its prompt and its output in
// tokens. Read into timed requests for a serving replica (physics/serving_replica.h).
#pragma once

#include <string>
#include <vector>

#include "physics/serving_replica.h"
#include "util/result.h"

namespace gpufleet {

struct AzureLlmOptions {
  // Arrivals come `rate_scale` times as fast: the gaps between them are divided by it (2: twice
  // the requests per second). In (0, 1e6].
  double rate_scale = 1;
  // Only the requests arriving within this many seconds of the first (after scaling); 0: all.
  double duration_s = 0;
};

// The trace's requests in time order, the first arriving at 0. An error names the file, line,
// column and field of the first bad row (a timestamp that does not parse, tokens that are not a
// whole number of at least 1 - a prompt of 0 tokens is not a request) or a missing column.
// Rows out of time order are sorted, stably.
Result<std::vector<ServingRequest>> LoadAzureLlmTrace(const std::string& path,
                                                      const AzureLlmOptions& options = {});

}  // namespace gpufleet
