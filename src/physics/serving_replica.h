// Requests served by one replica with continuous batching (docs/MODELS.md, "Serving"): each
// forward pass decodes one token of every running sequence and prefills waiting prompts in the
// token budget left (chunked prefill, as Sarathi-Serve and vLLM), admitting requests first come,
// first served while their KV cache fits. Each request's time to first token (TTFT) and time per
// output token (TPOT) come from the passes it took part in, each timed by ReplicaModel.
//
// A request reserves the KV cache of its whole prompt and output on admission, so a running
// sequence is never evicted: the batch is bounded by KV memory at its peak, as a server that
// knows (or caps) its output lengths runs it.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "physics/serving.h"
#include "util/result.h"

namespace gpufleet {

struct ServingRequest {
  double arrival_s = 0;
  std::int32_t prompt_tokens = 0;  // >= 1
  std::int32_t output_tokens = 0;  // >= 1: the first comes with the prompt's last pass
};

// How a replica batches.
struct BatchingLimits {
  std::int32_t max_batch = 256;  // sequences in one pass (running ones, prefilling or decoding)
  // Tokens one pass computes, decodes included; a prompt longer than what is left is prefilled in
  // chunks over several passes. At least max_batch (as vLLM requires), so that the decodes of a
  // full batch always fit.
  std::int32_t max_tokens_per_pass = 8192;
};
// An error unless 1 <= max_batch <= max_tokens_per_pass.
Status CheckBatchingLimits(const BatchingLimits& limits);

struct ServedRequest {
  double first_token_s = 0;  // when its first output token is out
  double finish_s = 0;       // when its last is
  double ttft_s = 0;         // first_token_s - arrival
  double tpot_s = 0;         // (finish - first token) / (output - 1); 0 for one output token
};

struct ReplicaRun {
  std::vector<ServedRequest> served;  // in the order of the requests
  double end_s = 0;                   // when the last request finished
  std::int64_t passes = 0;
  std::int64_t output_tokens = 0;
  double busy_s = 0;  // time spent in passes
  std::int32_t peak_batch = 0;
};

// One replica as time goes: requests join its queue as they arrive (Add) and its passes run
// (RunUntil), so that a router can look at every replica's load at each arrival. Deterministic:
// the same calls give the same times.
class ReplicaServer {
 public:
  // `served` receives each request's times at the index given to Add; it must outlive the server.
  ReplicaServer(const ReplicaModel& model, const BatchingLimits& limits,
                std::vector<ServedRequest>& served);

  // Request `index` arrives (no earlier than the last one). An error, and nothing queued, if it
  // is malformed or needs more KV cache than the replica has.
  Status Add(std::size_t index, const ServingRequest& request);
  // Runs the passes that start before `t` (the last may end after it); an idle replica waits
  // until `t`.
  void RunUntil(double t);
  // Runs until every request added is served.
  void RunToEnd();
  // The replica stops abruptly at `t`, after RunUntil(t): the requests it holds - waiting, or
  // running in no pass under way - are taken off it, their KV cache freed, and returned by index
  // in the order they came, each with whether its first token was already out.
  struct Held {
    std::size_t index = 0;
    bool first_token_out = false;
  };
  std::vector<Held> Cut(double t);

  // Requests added and not finished: waiting or running.
  std::int64_t outstanding() const {
    return static_cast<std::int64_t>(waiting_.size() + running_.size());
  }
  // Those not finished at time `t`, after RunUntil(t): a pass in progress at `t` has already run
  // (it started before), so the requests it finishes after `t` count as outstanding still.
  std::int64_t OutstandingAt(double t) const {
    return outstanding() + (last_pass_end_ > t ? finished_in_last_pass_ : 0);
  }
  double now() const { return now_; }
  const ReplicaRun& run() const { return run_; }  // its `served` stays empty: see `served`
  // For tests: off, every pass runs one by one (Pass), as the decode stretches must replay.
  void set_decode_stretches(bool on) { decode_stretches_ = on; }

 private:
  struct Running {
    std::size_t index = 0;
    ServingRequest request;
    std::int64_t prefilled = 0;  // prompt tokens in the cache
    std::int64_t decoded = 0;    // output tokens produced
  };
  void Pass();
  // The passes before `t` in which nothing but decodes happens - every running sequence past its
  // prompt, none finishing, no request admitted - run at once: the batch is not touched until
  // the last (docs/PERFORMANCE.md, "Serving at the request level"). The same passes, times and
  // tokens as Pass() one by one. False when no such pass comes first.
  bool DecodeStretch(double t);

  const ReplicaModel& model_;
  const BatchingLimits limits_;
  std::vector<ServedRequest>& served_;
  std::deque<std::pair<std::size_t, ServingRequest>> waiting_;
  std::vector<Running> running_;  // in admission order
  std::vector<std::int64_t> chunk_;
  std::int64_t reserved_ = 0;  // KV tokens held by the running requests: prompt + output
  double now_ = 0;
  double last_arrival_ = 0;
  double last_pass_end_ = 0;
  std::int64_t finished_in_last_pass_ = 0;
  bool decode_stretches_ = true;
  ReplicaRun run_;
};

// Serves `requests` (sorted by arrival) on one replica. An error names the first request that
// can never be served: its prompt and output need more KV cache than the replica has, or it is
// malformed (tokens below 1, arrivals out of order).
Result<ReplicaRun> ServeOnReplica(const ReplicaModel& model, const BatchingLimits& limits,
                                  const std::vector<ServingRequest>& requests);

}  // namespace gpufleet
