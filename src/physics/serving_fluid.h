// A service served in aggregate (docs/MODELS.md, "Fluid serving"): where the request level
// (serving_replica.h) times every pass of every replica, the fluid level takes a service's demand
// as arrivals per window of time and a replica's load as rates. A replica at mu requests/s runs
// two kinds of pass: one carrying a prompt (bound by compute: its prefill beside the batch's
// decodes) for each prompt that arrives, and decode-only passes (bound by HBM) in the time left.
// Its batch b (Little: mu x the output's passes x the mean pass) and the passes' times make a
// fixed point, solved by bisection on b. From it:
//   TPOT   a request's passes averaged: the decode pass plus its share of the prompts' passes
//          that fell in its decode (Poisson), spread normally;
//   TTFT   the prompt's own pass, after the rest of a decode pass under way and the prompts ahead
//          (an M/G/1 queue of prompt passes: Pollaczek-Khinchine's mean, an exponential tail),
//          over the prompt distribution's quantiles; plus the wait of a backlog when the demand
//          exceeds what the replicas admit (a first come, first served fluid queue).
// A replica's capacity is the rate past which its batch or KV cache fill or its prompts' passes
// take all its time. The mode is explicit per service; its error against the request level is in
// docs/MODELS.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "physics/serving_placed.h"
#include "physics/serving_service.h"

namespace gpufleet {

// What the fluid level knows of the requests' sizes: means over a sample of them (the trace's
// requests, or drawn from the demand's distributions) and their prompts' quantiles.
struct RequestMix {
  double mean_prompt = 0, mean_output = 0;
  double decode_steps = 0;    // mean output - 1: a request's decode passes
  double decode_context = 0;  // mean context summed over its decode passes: (O-1) P + O (O-1) / 2
  // The decode passes (output - 1) of the requests with a TPOT, at the middle of kPromptBins equal
  // shares of them, rising.
  std::vector<double> decode_step_quantiles;
  double single_token_share = 0;  // requests of one output token: no TPOT
  std::int64_t largest_tokens = 0;
  // The prompts at the middle of kPromptBins equal shares of the sample, rising.
  std::vector<double> prompt_quantiles;
  std::int64_t sample_size = 0;
};
inline constexpr int kPromptBins = 128;
// The mix of `sample` (non-empty; arrival times unused).
RequestMix MixOf(const std::vector<ServingRequest>& sample);

// A service's demand by windows: window k covers [k window_s, (k + 1) window_s).
struct FluidWindow {
  double requests = 0;
  double prompt_tokens = 0, output_tokens = 0;
};
struct FluidDemand {
  double window_s = 60;
  std::vector<FluidWindow> windows;
  RequestMix mix;
  // Where the demand ends: the last window may be cut short there. 0: at the last window's end.
  double horizon_s = 0;
  double end_s() const {
    const double full = double(windows.size()) * window_s;
    return horizon_s > 0 ? std::min(horizon_s, full) : full;
  }
  double start_s(std::size_t k) const { return double(k) * window_s; }
  // Where window k's arrivals are taken to come, waiting in a backlog: its middle.
  double middle_s(std::size_t k) const { return start_s(k) + span_s(k) / 2; }
  // Window k's length: window_s, or less for the last.
  double span_s(std::size_t k) const {
    return std::max(0.0, std::min(window_s, end_s() - start_s(k)));
  }
};

// One replica's load at a request rate.
struct FluidLoad {
  bool saturated = false;     // the rate is past the replica's capacity: it runs at its limits
  double batch = 0;           // sequences running
  double pass_s = 0;          // the mean pass: a decoding request's mean time per token
  double decode_pass_s = 0;   // a decode-only pass at that batch
  double prefill_share = 0;   // of the time, in passes carrying a prompt
  double prefill_wait_s = 0;  // a prompt's mean wait for the prompts ahead of it
  // A request's TPOT is the decode pass plus, per decode pass, the excess of the prompts' passes
  // that fall in its decode: `prompt_passes_per_pass` x its decode passes of them on average, each
  // `prompt_excess_s` (a count of one size matching the excess's mean and variance). Each such
  // pass lengthens the decode, in which more prompts arrive (`branching` of them on average): the
  // count's variance is its mean over (1 - branching)^2, as a branching process's total progeny.
  double prompt_passes_per_pass = 0;
  double prompt_excess_s = 0;
  double branching = 0;
};

class FluidReplica {
 public:
  FluidReplica(const ReplicaModel& model, const BatchingLimits& limits, const RequestMix& mix);
  // The most requests per second one replica admits: where its batch or its KV cache fill at the
  // mean load, or its prompts' passes take all its time.
  double capacity_rps() const { return capacity_rps_; }
  // The load at `rps` requests per second (saturated at the capacity past it), on one of
  // `replicas` sharing the service's requests (the batch's spread falls with their number).
  FluidLoad At(double rps, double replicas = 1) const;
  // The pass that carries a prompt of `prompt` tokens at `batch` decodes (in chunks of the
  // budget the decodes leave), from its admission to its first token.
  double PrefillSeconds(double prompt, double batch) const;
  double DecodeSeconds(double batch) const;
  const RequestMix& mix() const { return mix_; }

 private:
  // The mean over the prompts of their passes' time and its square at `batch` (interpolated).
  std::pair<double, double> PromptPasses(double batch) const;
  // The batch a rate settles at (bisection), or below 0 when none within the limits.
  double BatchAt(double rps) const;
  FluidLoad LoadAt(double rps, double batch, double replicas) const;

  const ReplicaModel& model_;
  BatchingLimits limits_;
  RequestMix mix_;
  double context_per_decode_ = 0;  // tokens a decoding sequence attends to, on average
  double max_batch_ = 0;
  // PromptPasses at whole batches 0..ceil(max_batch_).
  std::vector<double> prompt_pass_mean_, prompt_pass_square_;
  double capacity_rps_ = 0;
};

// A service's demand served window by window by a number of replicas (a mean over the window,
// which need not be whole): the requests beyond what they admit wait in a first come, first
// served backlog. Latencies go into log-spaced histograms for the run's percentiles.
class FluidService {
 public:
  FluidService(const ReplicaModel& model, const BatchingLimits& limits, const FluidDemand& demand,
               const ServiceLevel& slo, std::vector<ArrivalPeriod> periods = {});

  // Serves window `w` (the next one) with `replicas` taking requests over it, on average.
  void Serve(std::size_t w, double replicas);
  // After the last window: the backlog served by `replicas` (0: none is left, and it is unserved).
  // Returns when the last request of the backlog is served (the windows' end when none is left).
  double Finish(double replicas);

  // Requests waiting for a replica to admit them, now.
  double backlog() const { return backlog_total_; }
  const FluidReplica& replica() const { return replica_; }
  // The fewest replicas, from `least` to `most`, that serve `rps` requests per second (a backlog's
  // share included by the caller) with both latencies at the SLO's percentile within `fraction`
  // of their targets and at most `outstanding` requests per replica (0: no such bound). The search
  // starts from `hint` (the last answer, say): the same answer from any hint.
  int FewestReplicas(double rps, double fraction, double outstanding, int least, int most,
                     int hint = 1) const;
  // The mean time a request holds a replica at `rps` over `replicas`: its first token and decode.
  double MeanLatency(double rps, double replicas) const;

  // The run: requests (served and not), tokens, latencies, attainment, busy time. `span_s` from the
  // first window's start to Finish's return.
  PlacedServiceRun Result() const;
  // Requests served in each window, per replica-second taking requests (for a replica's share).
  const std::vector<double>& served_per_replica_second() const { return served_rate_; }

 private:
  struct Cohort {
    std::size_t window = 0;  // where its requests arrived
    double requests = 0;
  };
  // The latencies of `requests` that arrived in window `window` at load `load`, after waiting
  // `wait_s`; into the histograms and the counts (and, by overlap, the periods').
  void Record(double requests, double wait_s, const FluidLoad& load, std::size_t window);
  // The shares of requests at `load`, after `wait_s`, within a TTFT of `ttft_s` and within a TPOT
  // of `tpot_s`.
  double TtftShare(const FluidLoad& load, double wait_s, double ttft_s) const;
  double TpotShare(const FluidLoad& load, double tpot_s) const;
  // The TPOT of the requests of `decode_steps` decode passes at the standard normal's `z` (their
  // count of prompt passes by the square-root approximation of the Poisson).
  static double TpotAt(const FluidLoad& load, double decode_steps, double z);
  void Add(std::vector<double>& histogram, double seconds, double weight) const;

  FluidReplica replica_;
  const FluidDemand& demand_;
  ServiceLevel slo_;
  std::vector<ArrivalPeriod> periods_;
  std::deque<Cohort> backlog_;
  double backlog_total_ = 0;
  double arrivals_ = 0, met_ = 0, held_ = 0, unserved_ = 0;
  double prompt_tokens_ = 0, output_tokens_ = 0, busy_s_ = 0, peak_batch_ = 0;
  double end_s_ = 0;
  std::vector<double> ttft_histogram_, tpot_histogram_;
  std::vector<double> period_requests_, period_met_;
  std::vector<double> served_rate_;
  std::vector<double> takes_;  // Serve's scratch: what each cohort gets of a window
};

}  // namespace gpufleet
