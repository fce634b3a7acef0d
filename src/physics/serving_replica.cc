#include "physics/serving_replica.h"

#include <algorithm>
#include <deque>
#include <string>

namespace gpufleet {
namespace {

struct Running {
  std::size_t request = 0;
  std::int64_t prefilled = 0;  // prompt tokens in the cache
  std::int64_t decoded = 0;    // output tokens produced
  std::int64_t reserved = 0;   // KV tokens held: prompt + output
};

Status CheckRequests(const ReplicaModel& model, const BatchingLimits& limits,
                     const std::vector<ServingRequest>& requests) {
  if (limits.max_batch < 1 || limits.max_tokens_per_pass < 1) {
    return Error{"batching limits: max_batch and max_tokens_per_pass must be at least 1"};
  }
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const ServingRequest& r = requests[i];
    const std::string which = "request " + std::to_string(i);
    if (r.prompt_tokens < 1 || r.output_tokens < 1) {
      return Error{which + ": prompt and output tokens must be at least 1, got " +
                   std::to_string(r.prompt_tokens) + " and " + std::to_string(r.output_tokens)};
    }
    if (i > 0 && r.arrival_s < requests[i - 1].arrival_s) {
      return Error{which + ": arrives before the request ahead of it"};
    }
    const std::int64_t need = std::int64_t{r.prompt_tokens} + r.output_tokens;
    if (need > model.kv_capacity_tokens()) {
      return Error{which + ": its " + std::to_string(need) + " tokens of KV cache exceed the " +
                       std::to_string(model.kv_capacity_tokens()) + " the replica holds",
                   ErrorCode::kUnsatisfiable};
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ReplicaRun> ServeOnReplica(const ReplicaModel& model, const BatchingLimits& limits,
                                  const std::vector<ServingRequest>& requests) {
  if (Status st = CheckRequests(model, limits, requests); !st.ok())
    return Error{st.message(), st.code()};
  ReplicaRun run;
  run.served.resize(requests.size());
  std::vector<Running> running;  // in admission order
  std::size_t next = 0;          // the first request not yet arrived or not yet admitted
  std::int64_t reserved = 0;
  double now = 0;
  std::vector<std::int64_t> chunk;  // prompt tokens each running sequence computes in this pass
  while (next < requests.size() || !running.empty()) {
    if (running.empty() && requests[next].arrival_s > now) now = requests[next].arrival_s;
    // Admit arrived requests, first come first served, while the batch and the KV cache allow.
    while (next < requests.size() && requests[next].arrival_s <= now &&
           static_cast<std::int32_t>(running.size()) < limits.max_batch) {
      const ServingRequest& r = requests[next];
      const std::int64_t need = std::int64_t{r.prompt_tokens} + r.output_tokens;
      if (reserved + need > model.kv_capacity_tokens()) break;
      reserved += need;
      running.push_back({next, 0, 0, need});
      ++next;
    }
    // The pass: a token for every sequence past its prompt, then prompt chunks in the budget left.
    ReplicaIteration pass;
    chunk.assign(running.size(), 0);
    for (const Running& s : running) {
      if (s.prefilled == requests[s.request].prompt_tokens) {
        ++pass.decodes;
        pass.decode_context += s.prefilled + s.decoded;
      }
    }
    std::int64_t budget = limits.max_tokens_per_pass - pass.decodes;
    for (std::size_t i = 0; i < running.size() && budget > 0; ++i) {
      const Running& s = running[i];
      const std::int64_t left = requests[s.request].prompt_tokens - s.prefilled;
      if (left == 0) continue;
      const std::int64_t c = std::min(left, budget);
      chunk[i] = c;
      budget -= c;
      pass.prefill_tokens += c;
      pass.prefill_attention_pairs += static_cast<double>(c) * static_cast<double>(s.prefilled) +
                                      static_cast<double>(c) * static_cast<double>(c + 1) / 2;
    }
    const double dt = model.Iteration(pass).seconds;
    now += dt;
    run.busy_s += dt;
    ++run.passes;
    run.peak_batch = std::max(run.peak_batch, static_cast<std::int32_t>(running.size()));
    // Tokens out at the end of the pass; finished sequences free their KV cache.
    std::size_t kept = 0;
    for (std::size_t i = 0; i < running.size(); ++i) {
      Running s = running[i];
      const ServingRequest& r = requests[s.request];
      ServedRequest& out = run.served[s.request];
      bool produced = false;
      if (s.prefilled == r.prompt_tokens) {
        produced = true;  // a decode
      } else if (chunk[i] > 0) {
        s.prefilled += chunk[i];
        produced = s.prefilled == r.prompt_tokens;  // the prompt's last pass gives the first token
      }
      if (produced) {
        ++s.decoded;
        ++run.output_tokens;
        if (s.decoded == 1) {
          out.first_token_s = now;
          out.ttft_s = now - r.arrival_s;
        }
      }
      if (s.decoded == r.output_tokens) {
        out.finish_s = now;
        out.tpot_s = r.output_tokens > 1 ? (now - out.first_token_s) / (r.output_tokens - 1) : 0;
        reserved -= s.reserved;
        run.end_s = std::max(run.end_s, now);
        continue;
      }
      running[kept++] = s;
    }
    running.resize(kept);
  }
  return run;
}

}  // namespace gpufleet
