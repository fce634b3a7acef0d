#include "physics/serving_replica.h"

#include <algorithm>
#include <limits>
#include <string>

namespace gpufleet {

Status CheckBatchingLimits(const BatchingLimits& limits) {
  if (limits.max_batch < 1 || limits.max_tokens_per_pass < limits.max_batch) {
    return Error{
        "batching limits: max_batch must be at least 1 and max_tokens_per_pass at least "
        "max_batch (the decodes of a full batch share one pass), got " +
        std::to_string(limits.max_batch) + " and " + std::to_string(limits.max_tokens_per_pass)};
  }
  return Status::Ok();
}

ReplicaServer::ReplicaServer(const ReplicaModel& model, const BatchingLimits& limits,
                             std::vector<ServedRequest>& served)
    : model_(model), limits_(limits), served_(served) {}

Status ReplicaServer::Add(std::size_t index, const ServingRequest& r) {
  const std::string which = "request " + std::to_string(index);
  if (Status st = CheckBatchingLimits(limits_); !st.ok()) return st;
  if (r.prompt_tokens < 1 || r.output_tokens < 1) {
    return Error{which + ": prompt and output tokens must be at least 1, got " +
                 std::to_string(r.prompt_tokens) + " and " + std::to_string(r.output_tokens)};
  }
  if (r.arrival_s < last_arrival_) {
    return Error{which + ": arrives before the request ahead of it"};
  }
  const std::int64_t need = std::int64_t{r.prompt_tokens} + r.output_tokens;
  if (need > model_.kv_capacity_tokens()) {
    return Error{which + ": its " + std::to_string(need) + " tokens of KV cache exceed the " +
                     std::to_string(model_.kv_capacity_tokens()) + " the replica holds",
                 ErrorCode::kUnsatisfiable};
  }
  if (served_.size() <= index) served_.resize(index + 1);
  last_arrival_ = r.arrival_s;
  // An idle replica starts its next pass when the request arrives.
  if (waiting_.empty() && running_.empty()) now_ = std::max(now_, r.arrival_s);
  waiting_.emplace_back(index, r);
  return Status::Ok();
}

void ReplicaServer::RunUntil(double t) {
  while (now_ < t && outstanding() > 0) {
    if (!DecodeStretch(t)) Pass();
  }
  if (outstanding() == 0) now_ = std::max(now_, t);
}

void ReplicaServer::RunToEnd() {
  while (outstanding() > 0) {
    if (!DecodeStretch(std::numeric_limits<double>::infinity())) Pass();
  }
}

std::vector<ReplicaServer::Held> ReplicaServer::Cut(double t) {
  std::vector<Held> held;
  held.reserve(static_cast<std::size_t>(outstanding()));
  for (const Running& s : running_) held.push_back({s.index, s.decoded > 0});
  for (const auto& [index, request] : waiting_) held.push_back({index, false});
  running_.clear();
  waiting_.clear();
  reserved_ = 0;
  now_ = std::max(now_, t);
  // Running ones were admitted before any still waiting, and each group keeps its order.
  std::stable_sort(held.begin(), held.end(),
                   [](const Held& a, const Held& b) { return a.index < b.index; });
  return held;
}

bool ReplicaServer::DecodeStretch(double t) {
  if (!decode_stretches_ || running_.empty()) return false;
  // Passes left before one of the sequences finishes (that pass is Pass()'s), and the context the
  // decodes read, as Pass() sums it.
  std::int64_t left = std::numeric_limits<std::int64_t>::max();
  std::int64_t context = 0;
  for (const Running& s : running_) {
    if (s.prefilled != s.request.prompt_tokens) return false;  // a prompt still to compute
    left = std::min(left, s.request.output_tokens - s.decoded);
    context += s.prefilled + s.decoded;
  }
  const auto n = static_cast<std::int64_t>(running_.size());
  // The request Pass() would admit once it has arrived (the batch and the KV cache do not change
  // in the stretch, so one that does not fit now does not fit before a sequence finishes).
  double admit_at = std::numeric_limits<double>::infinity();
  if (!waiting_.empty() && n < limits_.max_batch) {
    const ServingRequest& r = waiting_.front().second;
    if (reserved_ + std::int64_t{r.prompt_tokens} + r.output_tokens <= model_.kv_capacity_tokens())
      admit_at = r.arrival_s;
  }
  ReplicaIteration pass;
  pass.decodes = n;
  std::int64_t passes = 0;
  while (passes < left - 1 && now_ < t && now_ < admit_at) {
    pass.decode_context = context;
    const double dt = model_.Iteration(pass).seconds;
    now_ += dt;
    run_.busy_s += dt;
    ++run_.passes;
    run_.output_tokens += n;
    context += n;
    ++passes;
  }
  if (passes == 0) return false;
  for (Running& s : running_) s.decoded += passes;
  run_.peak_batch = std::max(run_.peak_batch, static_cast<std::int32_t>(n));
  last_pass_end_ = now_;
  finished_in_last_pass_ = 0;
  return true;
}

void ReplicaServer::Pass() {
  // Admit arrived requests, first come first served, while the batch and the KV cache allow.
  while (!waiting_.empty() && waiting_.front().second.arrival_s <= now_ &&
         static_cast<std::int32_t>(running_.size()) < limits_.max_batch) {
    const ServingRequest& r = waiting_.front().second;
    const std::int64_t need = std::int64_t{r.prompt_tokens} + r.output_tokens;
    if (reserved_ + need > model_.kv_capacity_tokens()) break;
    reserved_ += need;
    running_.push_back({waiting_.front().first, r, 0, 0});
    waiting_.pop_front();
  }
  if (running_.empty()) {  // the next request has not arrived yet
    now_ = waiting_.front().second.arrival_s;
    return;
  }
  // The pass: a token for every sequence past its prompt, then prompt chunks in the budget left.
  ReplicaIteration pass;
  chunk_.assign(running_.size(), 0);
  for (const Running& s : running_) {
    if (s.prefilled == s.request.prompt_tokens) {
      ++pass.decodes;
      pass.decode_context += s.prefilled + s.decoded;  // its own token included
    }
  }
  std::int64_t budget = limits_.max_tokens_per_pass - pass.decodes;
  for (std::size_t i = 0; i < running_.size() && budget > 0; ++i) {
    const Running& s = running_[i];
    const std::int64_t left = s.request.prompt_tokens - s.prefilled;
    if (left == 0) continue;
    const std::int64_t c = std::min(left, budget);
    chunk_[i] = c;
    budget -= c;
    pass.prefill_tokens += c;
    pass.prefill_attention_pairs += ChunkAttentionPairs(c, s.prefilled);
  }
  const double dt = model_.Iteration(pass).seconds;
  now_ += dt;
  run_.busy_s += dt;
  ++run_.passes;
  run_.peak_batch = std::max(run_.peak_batch, static_cast<std::int32_t>(running_.size()));
  last_pass_end_ = now_;
  finished_in_last_pass_ = 0;
  // Tokens out at the end of the pass; finished sequences free their KV cache.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < running_.size(); ++i) {
    Running s = running_[i];
    ServedRequest& out = served_[s.index];
    bool produced = false;
    if (s.prefilled == s.request.prompt_tokens) {
      produced = true;  // a decode
    } else if (chunk_[i] > 0) {
      s.prefilled += chunk_[i];
      produced = s.prefilled == s.request.prompt_tokens;  // the prompt's last pass: first token
    }
    if (produced) {
      ++s.decoded;
      ++run_.output_tokens;
      if (s.decoded == 1) {
        out.first_token_s = now_;
        out.ttft_s = now_ - s.request.arrival_s;
      }
    }
    if (s.decoded == s.request.output_tokens) {
      out.finish_s = now_;
      out.tpot_s = s.request.output_tokens > 1
                       ? (now_ - out.first_token_s) / (s.request.output_tokens - 1)
                       : 0;
      reserved_ -= std::int64_t{s.request.prompt_tokens} + s.request.output_tokens;
      run_.end_s = std::max(run_.end_s, now_);
      ++finished_in_last_pass_;
      continue;
    }
    running_[kept++] = s;
  }
  running_.resize(kept);
}

Result<ReplicaRun> ServeOnReplica(const ReplicaModel& model, const BatchingLimits& limits,
                                  const std::vector<ServingRequest>& requests) {
  std::vector<ServedRequest> served(requests.size());
  ReplicaServer replica(model, limits, served);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    replica.RunUntil(requests[i].arrival_s);
    if (Status st = replica.Add(i, requests[i]); !st.ok()) return Error{st.message(), st.code()};
  }
  replica.RunToEnd();
  ReplicaRun run = replica.run();
  run.served = std::move(served);
  return run;
}

}  // namespace gpufleet
