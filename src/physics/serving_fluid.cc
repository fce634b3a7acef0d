#include "physics/serving_fluid.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace gpufleet {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Latency histograms: log-spaced bins from 1 us to 1e7 s, 200 a decade (bins 1.2% wide); bin 0
// holds everything below 1 us (a TPOT of 0: one output token).
constexpr double kHistogramFloor = 1e-6;
constexpr int kBinsPerDecade = 200;
constexpr int kHistogramBins = 13 * kBinsPerDecade + 2;

double StandardNormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// Points of a distribution that carry its tail: each a quantile standing for a share of the mass
// around it (the shares sum to 1), finer towards the top so that the histograms' p99 sees it.
struct TailPoint {
  double quantile, mass;
};
constexpr std::array<TailPoint, 8> kTailPoints = {{{0.125, 0.25},
                                                   {0.375, 0.25},
                                                   {0.625, 0.25},
                                                   {0.85, 0.15},
                                                   {0.95, 0.05},
                                                   {0.985, 0.04},
                                                   {0.997, 0.008},
                                                   {0.9995, 0.002}}};

// The standard normal at each tail point's quantile, by bisection.
const std::array<double, kTailPoints.size()>& NormalTailPoints() {
  static const std::array<double, kTailPoints.size()> z = [] {
    std::array<double, kTailPoints.size()> out{};
    for (std::size_t i = 0; i < kTailPoints.size(); ++i) {
      double lo = -10, hi = 10;
      for (int k = 0; k < 80; ++k) {
        const double mid = (lo + hi) / 2;
        (StandardNormalCdf(mid) < kTailPoints[i].quantile ? lo : hi) = mid;
      }
      out[i] = (lo + hi) / 2;
    }
    return out;
  }();
  return z;
}

// The value at rank ceil(p n / 100) of a histogram holding `n` samples of which `beyond` are
// infinite (ranked last); a bin stands for its upper edge.
double HistogramPercentile(const std::vector<double>& bins, double served, double beyond,
                           double p) {
  double binned = 0;
  for (const double b : bins) binned += b;
  // The bins' fractional weights sum to the served count but for rounding: the rank is taken
  // against their own sum, and a rank past it falls on an unserved request (infinite) only when
  // there is at least half of one.
  const double n = binned + beyond;
  if (n <= 0 || served + beyond <= 0) return 0;
  const double rank = std::max(0.0, std::ceil(std::round(p * n * 1e6) / 1e8 - 1e-9));
  if (beyond >= 0.5 && rank > binned * (1 + 1e-12)) return kInfinity;
  double seen = 0;
  std::size_t last = 0;
  for (std::size_t i = 0; i < bins.size(); ++i) {
    if (bins[i] <= 0) continue;
    last = i;
    seen += bins[i];
    if (seen >= rank * (1 - 1e-12)) break;
  }
  return last == 0 ? 0 : kHistogramFloor * std::pow(10.0, double(last) / kBinsPerDecade);
}

LatencySummary SummaryOf(const std::vector<double>& bins, double served, double beyond,
                         double slo_percentile) {
  LatencySummary s;
  s.p50 = HistogramPercentile(bins, served, beyond, 50);
  s.p90 = HistogramPercentile(bins, served, beyond, 90);
  s.p99 = HistogramPercentile(bins, served, beyond, 99);
  s.max = HistogramPercentile(bins, served, beyond, 100);
  s.at_slo_percentile = HistogramPercentile(bins, served, beyond, slo_percentile);
  return s;
}

}  // namespace

RequestMix MixOf(const std::vector<ServingRequest>& sample) {
  RequestMix m;
  m.sample_size = std::ssize(sample);
  if (sample.empty()) return m;
  std::vector<double> prompts, steps;
  prompts.reserve(sample.size());
  double single = 0;
  for (const ServingRequest& r : sample) {
    const double p = r.prompt_tokens, o = r.output_tokens;
    m.mean_prompt += p;
    m.mean_output += o;
    m.decode_steps += o - 1;
    m.decode_context += (o - 1) * p + o * (o - 1) / 2;
    if (o > 1) steps.push_back(o - 1);
    single += r.output_tokens <= 1;
    m.largest_tokens =
        std::max<std::int64_t>(m.largest_tokens, std::int64_t{r.prompt_tokens} + r.output_tokens);
    prompts.push_back(p);
  }
  const double n = static_cast<double>(sample.size());
  for (double* v : {&m.mean_prompt, &m.mean_output, &m.decode_steps, &m.decode_context}) *v /= n;
  m.single_token_share = single / n;
  std::sort(prompts.begin(), prompts.end());
  for (int i = 0; i < kPromptBins; ++i) {
    const auto k = static_cast<std::size_t>((i + 0.5) / kPromptBins * n);
    m.prompt_quantiles.push_back(prompts[std::min(k, prompts.size() - 1)]);
  }
  std::sort(steps.begin(), steps.end());
  for (int i = 0; i < kPromptBins && !steps.empty(); ++i) {
    const auto k = static_cast<std::size_t>((i + 0.5) / kPromptBins * double(steps.size()));
    m.decode_step_quantiles.push_back(steps[std::min(k, steps.size() - 1)]);
  }
  return m;
}

FluidReplica::FluidReplica(const ReplicaModel& model, const BatchingLimits& limits,
                           const RequestMix& mix)
    : model_(model), limits_(limits), mix_(mix) {
  context_per_decode_ =
      mix_.decode_steps > 0 ? mix_.decode_context / mix_.decode_steps : mix_.mean_prompt + 1;
  // Each running sequence reserves the KV cache of its prompt and output.
  max_batch_ =
      std::min<double>(limits_.max_batch, double(model_.kv_capacity_tokens()) /
                                              std::max(1.0, mix_.mean_prompt + mix_.mean_output));
  const auto top = static_cast<std::size_t>(std::ceil(max_batch_));
  prompt_pass_mean_.assign(top + 1, 0);
  prompt_pass_square_.assign(top + 1, 0);
  for (std::size_t b = 0; b <= top; ++b) {
    for (const double prompt : mix_.prompt_quantiles) {
      const double t = PrefillSeconds(prompt, double(b));
      prompt_pass_mean_[b] += t / kPromptBins;
      prompt_pass_square_[b] += t * t / kPromptBins;
    }
  }
  // The capacity: the highest rate with a batch to settle at, by bisection up to the rate at which
  // the prompts' passes alone fill the time.
  if (max_batch_ <= 0 || prompt_pass_mean_[0] <= 0) return;
  double lo = 0, hi = 1 / prompt_pass_mean_[0];
  for (int k = 0; k < 60; ++k) {
    const double mid = (lo + hi) / 2;
    (BatchAt(mid) >= 0 ? lo : hi) = mid;
  }
  capacity_rps_ = lo;
}

double FluidReplica::DecodeSeconds(double batch) const {
  return model_.MeanIteration(0, 0, batch, batch * context_per_decode_).seconds;
}

double FluidReplica::PrefillSeconds(double prompt, double batch) const {
  const double avail = std::max(1.0, limits_.max_tokens_per_pass - batch);
  const double passes = std::ceil(prompt / avail);
  auto pass = [&](double chunk, double cached) {
    return model_
        .MeanIteration(chunk, ChunkAttentionPairs(std::llround(chunk), std::llround(cached)), batch,
                       batch * context_per_decode_)
        .seconds;
  };
  if (passes <= 16) {
    double total = 0;
    for (double done = 0; done < prompt; done += avail)
      total += pass(std::min(avail, prompt - done), done);
    return total;
  }
  // Many chunks: each of the mean chunk over half the prompt cached.
  return passes * pass(prompt / passes, prompt / 2);
}

std::pair<double, double> FluidReplica::PromptPasses(double batch) const {
  const double at = std::clamp(batch, 0.0, double(prompt_pass_mean_.size() - 1));
  const auto i = std::min(static_cast<std::size_t>(at), prompt_pass_mean_.size() - 1);
  const std::size_t j = std::min(i + 1, prompt_pass_mean_.size() - 1);
  const double f = at - double(i);
  return {prompt_pass_mean_[i] + f * (prompt_pass_mean_[j] - prompt_pass_mean_[i]),
          prompt_pass_square_[i] + f * (prompt_pass_square_[j] - prompt_pass_square_[i])};
}

double FluidReplica::BatchAt(double rps) const {
  if (rps <= 0) return 0;
  // Passes a second: one a prompt, and decode-only passes in the time the prompts' leave. Each
  // request runs in its output's passes: the batch is rps x output / passes a second (Little).
  auto excess = [&](double b) {
    const double prompts = rps * PromptPasses(b).first;
    if (prompts >= 1) return kInfinity;
    const double passes = rps + (1 - prompts) / DecodeSeconds(std::max(1.0, b));
    return rps * mix_.mean_output / passes - b;
  };
  // Past the batch at which the prompts' passes fill the time there is none: the search stops
  // below it (the prompts' passes lengthen with the batch).
  double top = max_batch_;
  if (rps * PromptPasses(top).first >= 1) {
    if (rps * PromptPasses(0).first >= 1) return -1;
    double below = 0, above = top;  // rps PP(below) < 1 <= rps PP(above)
    for (int k = 0; k < 50; ++k) {
      const double mid = (below + above) / 2;
      (rps * PromptPasses(mid).first < 1 ? below : above) = mid;
    }
    top = below;
  }
  double lo = 0, hi = top;  // excess(lo) > 0 >= excess(hi)
  if (excess(top) > 0) {
    // Near where the prompts fill the time the batch tends to the mean output: above `top`, the
    // excess is positive there although a stable batch may lie below. The first whole batch
    // where it turns, if any (rare: a prompt-heavy mix near its capacity).
    bool found = false;
    for (double b = 1; b < top && !found; b += 1) {
      if (excess(b) <= 0) {
        lo = b - 1;
        hi = b;
        found = true;
      }
    }
    if (!found) return -1;
  }
  for (int k = 0; k < 50; ++k) {
    const double mid = (lo + hi) / 2;
    (excess(mid) > 0 ? lo : hi) = mid;
  }
  return hi;
}

FluidLoad FluidReplica::LoadAt(double rps, double batch, double replicas) const {
  FluidLoad load;
  load.batch = batch;
  load.decode_pass_s = DecodeSeconds(std::max(1.0, batch));
  const auto [mean, square] = PromptPasses(batch);
  load.prefill_share = std::min(rps * mean, 0.999);
  load.pass_s = 1 / (rps + (1 - load.prefill_share) / load.decode_pass_s);
  load.prefill_wait_s = rps * square / (2 * (1 - load.prefill_share));
  // A request's TPOT: the decode pass, and the prompts' passes that fall in its decode (Poisson,
  // rps x the mean pass per decode pass), each longer by its excess over a decode pass: a compound
  // Poisson sum, taken as a Poisson count of events of one size with its mean and variance.
  const double excess = mean - load.decode_pass_s;
  const double excess_square =
      square - 2 * mean * load.decode_pass_s + load.decode_pass_s * load.decode_pass_s;
  if (excess > 0 && excess_square > 0) {
    load.prompt_excess_s = excess_square / excess;
    load.prompt_passes_per_pass = rps * load.pass_s * excess * excess / excess_square;
    load.branching = std::min(0.9, rps * excess);
  }
  (void)replicas;
  return load;
}

FluidLoad FluidReplica::At(double rps, double replicas) const {
  if (rps >= capacity_rps_) {
    FluidLoad load = LoadAt(capacity_rps_, std::max(0.0, BatchAt(capacity_rps_)), replicas);
    load.saturated = rps > capacity_rps_;
    return load;
  }
  return LoadAt(rps, std::max(0.0, BatchAt(rps)), replicas);
}

FluidService::FluidService(const ReplicaModel& model, const BatchingLimits& limits,
                           const FluidDemand& demand, const ServiceLevel& slo,
                           std::vector<ArrivalPeriod> periods)
    : replica_(model, limits, demand.mix),
      demand_(demand),
      slo_(slo),
      periods_(std::move(periods)),
      ttft_histogram_(kHistogramBins, 0),
      tpot_histogram_(kHistogramBins, 0),
      period_requests_(periods_.size(), 0),
      period_met_(periods_.size(), 0),
      served_rate_(demand.windows.size(), 0) {}

namespace {

// The share of [from, until) within `p`.
double OverlapShare(double from, double until, const ArrivalPeriod& p) {
  if (!(until > from)) return 0;
  return std::max(0.0, std::min(until, p.until_s) - std::max(from, p.from_s)) / (until - from);
}

}  // namespace

namespace {

// log10 of a positive finite double from its bits: the exponent, and log2 of the mantissa's top 12
// bits from a table (a relative error below 2.5e-4, far inside a bin's 1.2%). The histograms take
// thousands of values a window: the C library's log10 was a third of a fluid run.
double FastLog10(double x) {
  static const std::array<double, 4096> mantissa_log2 = [] {
    std::array<double, 4096> t{};
    for (std::size_t m = 0; m < t.size(); ++m) t[m] = std::log2(1 + (double(m) + 0.5) / 4096);
    return t;
  }();
  const auto bits = std::bit_cast<std::uint64_t>(x);
  const auto exponent = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  return (exponent + mantissa_log2[(bits >> 40) & 0xfff]) * 0.30102999566398120;
}

}  // namespace

void FluidService::Add(std::vector<double>& histogram, double seconds, double weight) const {
  std::size_t bin = 0;
  if (seconds >= kHistogramFloor) {
    const double index =
        std::ceil((FastLog10(seconds) - std::log10(kHistogramFloor)) * kBinsPerDecade);
    bin = static_cast<std::size_t>(std::clamp(index, 1.0, double(kHistogramBins - 1)));
  }
  histogram[bin] += weight;
}

namespace {

// The wait for the prompts ahead at quantile q: none with probability 1 - share, else
// exponential with the mean that makes the whole mean `mean`.
double PromptWaitAt(const FluidLoad& load, double q) {
  const double busy = load.prefill_share;
  if (busy <= 0 || load.prefill_wait_s <= 0 || q <= 1 - busy) return 0;
  return load.prefill_wait_s / busy * std::log(busy / (1 - q));
}

}  // namespace

double FluidService::TtftShare(const FluidLoad& load, double wait_s, double ttft_s) const {
  double share = 0;
  const double busy = load.prefill_share;
  for (const double prompt : replica_.mix().prompt_quantiles) {
    const double own = wait_s + replica_.PrefillSeconds(prompt, load.batch);
    // The rest of a decode pass under way (four points over it), then the prompts ahead.
    for (int j = 0; j < 4; ++j) {
      const double slack = ttft_s - own - (j + 0.5) / 4 * load.decode_pass_s;
      if (slack < 0) continue;
      share += load.prefill_wait_s > 0 && busy > 0
                   ? 1 - busy * std::exp(-slack * busy / load.prefill_wait_s)
                   : 1;
    }
  }
  return share / (4.0 * kPromptBins);
}

double FluidService::TpotAt(const FluidLoad& load, double decode_steps, double z) {
  const double mean = load.prompt_passes_per_pass * decode_steps;  // prompt passes in its decode
  if (mean <= 0 || load.prompt_excess_s <= 0) return load.decode_pass_s;
  // The count as a Poisson of mean m (1 - b)^2 scaled by 1 / (1 - b)^2 (the same mean, the
  // variance of the branching), its quantile by the square-root normal approximation of the
  // Poisson: P(K <= k) ~ Phi(2 (sqrt(k + 1) - sqrt(mean))).
  const double scale = (1 - load.branching) * (1 - load.branching);
  const double root = std::sqrt(mean * scale) + z / 2;
  const double count = std::max(0.0, root * root - 1) / scale;
  return load.decode_pass_s + count * load.prompt_excess_s / decode_steps;
}

double FluidService::TpotShare(const FluidLoad& load, double tpot_s) const {
  const RequestMix& mix = replica_.mix();
  double decoding = 0;
  for (const double steps : mix.decode_step_quantiles) {
    const double mean = load.prompt_passes_per_pass * steps;
    if (mean <= 0 || load.prompt_excess_s <= 0) {
      decoding += tpot_s >= load.decode_pass_s;
      continue;
    }
    // As TpotAt's count, in the Poisson's scale.
    const double scale = (1 - load.branching) * (1 - load.branching);
    const double count = (tpot_s - load.decode_pass_s) * steps / load.prompt_excess_s * scale;
    decoding +=
        count < 0 ? 0 : StandardNormalCdf(2 * (std::sqrt(count + 1) - std::sqrt(mean * scale)));
  }
  if (!mix.decode_step_quantiles.empty()) decoding /= double(mix.decode_step_quantiles.size());
  return mix.single_token_share + (1 - mix.single_token_share) * decoding;
}

void FluidService::Record(double requests, double wait_s, const FluidLoad& load,
                          std::size_t window) {
  if (requests <= 0) return;
  const RequestMix& mix = replica_.mix();
  const double met = requests * TtftShare(load, wait_s, slo_.ttft_s) * TpotShare(load, slo_.tpot_s);
  met_ += met;
  const double from = demand_.start_s(window), until = from + demand_.span_s(window);
  for (std::size_t i = 0; i < periods_.size(); ++i)
    period_met_[i] += met * OverlapShare(from, until, periods_[i]);
  // The histograms: each prompt quantile at four points of the decode pass under way, each with
  // the wait for the prompts ahead at the tail points (their tails reach the p99.9).
  std::array<double, kTailPoints.size()> waits{};
  for (std::size_t j = 0; j < kTailPoints.size(); ++j)
    waits[j] = PromptWaitAt(load, kTailPoints[j].quantile);
  for (const double prompt : mix.prompt_quantiles) {
    const double first = wait_s + replica_.PrefillSeconds(prompt, load.batch);
    for (int j = 0; j < 4; ++j) {
      for (std::size_t k = 0; k < kTailPoints.size(); ++k) {
        Add(ttft_histogram_, first + waits[k] + (j + 0.5) / 4 * load.decode_pass_s,
            requests * kTailPoints[k].mass / (4.0 * kPromptBins));
      }
    }
  }
  Add(tpot_histogram_, 0, requests * mix.single_token_share);
  // Each decode length at the tail points of its count of prompt passes.
  if (mix.decode_step_quantiles.empty()) return;
  const double per_length =
      requests * (1 - mix.single_token_share) / double(mix.decode_step_quantiles.size());
  for (const double steps : mix.decode_step_quantiles) {
    for (std::size_t k = 0; k < kTailPoints.size(); ++k)
      Add(tpot_histogram_, TpotAt(load, steps, NormalTailPoints()[k]),
          per_length * kTailPoints[k].mass);
  }
}

void FluidService::Serve(std::size_t w, double replicas) {
  const FluidWindow& window = demand_.windows[w];
  const double start = demand_.start_s(w), span = demand_.span_s(w);
  arrivals_ += window.requests;
  prompt_tokens_ += window.prompt_tokens;
  output_tokens_ += window.output_tokens;
  for (std::size_t i = 0; i < periods_.size(); ++i)
    period_requests_[i] += window.requests * OverlapShare(start, start + span, periods_[i]);
  end_s_ = start + span;
  if (replicas <= 1e-9 || span <= 0) {
    // No replica takes requests: they wait at the router.
    held_ += window.requests;
    if (window.requests > 0) backlog_.push_back({w, window.requests});
    backlog_total_ += window.requests;
    return;
  }
  const double capacity = replica_.capacity_rps() * replicas * span;
  double served = 0;
  FluidLoad load;
  if (backlog_.empty() && window.requests <= capacity) {
    served = window.requests;
    load = replica_.At(window.requests / span / replicas, replicas);
    Record(window.requests, 0, load, w);
  } else {
    if (window.requests > 0) backlog_.push_back({w, window.requests});
    backlog_total_ += window.requests;
    // What the window admits, first come first served as its capacity goes; the load is what it
    // admitted (the limits only when a backlog is left).
    takes_.clear();
    for (const Cohort& c : backlog_) {
      if (served >= capacity - 1e-9) break;
      const double take = std::min(c.requests, capacity - served);
      takes_.push_back(take);
      served += take;
    }
    load = replica_.At(served / span / replicas, replicas);
    double admitted = 0;
    for (const double take : takes_) {
      Cohort& c = backlog_.front();
      const double admitted_at = start + (admitted + take / 2) / capacity * span;
      Record(take, std::max(0.0, admitted_at - demand_.middle_s(c.window)), load, c.window);
      admitted += take;
      backlog_total_ -= take;
      c.requests -= take;
      if (c.requests <= 1e-9) backlog_.pop_front();
    }
    if (backlog_.empty()) backlog_total_ = 0;
  }
  served_rate_[w] = served / (replicas * span);
  // A replica idles only while it holds no request: Poisson, at its mean batch.
  busy_s_ += replicas * span * (1 - std::exp(-load.batch));
  peak_batch_ = std::max(peak_batch_, load.batch);
}

double FluidService::Finish(double replicas) {
  const double windows_end = demand_.end_s();
  end_s_ = windows_end;
  if (backlog_.empty()) {
    if (!demand_.windows.empty() && replicas > 0) {
      const std::size_t last = demand_.windows.size() - 1;
      const double span = demand_.span_s(last);
      if (span > 0) end_s_ += MeanLatency(demand_.windows[last].requests / span, replicas);
    }
    return end_s_;
  }
  if (replicas <= 1e-9) {
    unserved_ += backlog_total_;
    backlog_.clear();
    backlog_total_ = 0;
    return end_s_;
  }
  const double rate = replica_.capacity_rps() * replicas;
  const FluidLoad load = replica_.At(replica_.capacity_rps(), replicas);
  double served = 0;
  for (const Cohort& c : backlog_) {
    const double admitted_at = windows_end + (served + c.requests / 2) / rate;
    Record(c.requests, std::max(0.0, admitted_at - demand_.middle_s(c.window)), load, c.window);
    served += c.requests;
  }
  const double drain = served / rate;
  busy_s_ += replicas * drain;
  end_s_ = windows_end + drain + MeanLatency(replica_.capacity_rps() * replicas, replicas);
  backlog_.clear();
  backlog_total_ = 0;
  return end_s_;
}

int FluidService::FewestReplicas(double rps, double fraction, double outstanding, int least,
                                 int most, int hint) const {
  const double share = slo_.percentile / 100;
  auto enough = [&](int n) {
    if (rps / n >= replica_.capacity_rps()) return false;
    const FluidLoad load = replica_.At(rps / n, n);
    if (outstanding > 0 && load.batch > outstanding) return false;
    return TtftShare(load, 0, fraction * slo_.ttft_s) >= share &&
           TpotShare(load, fraction * slo_.tpot_s) >= share;
  };
  if (least >= most) return most;
  if (rps <= 0 || enough(least)) return least;
  // From the hint (the last answer, say), steps doubling away from it until they bracket the
  // answer, then bisection: a few looks where the load changes little.
  int lo = least, hi = most;  // lo misses; hi meets once checked
  const int start = std::clamp(hint, least + 1, most);
  if (enough(start)) {
    hi = start;
    for (int step = 1; hi - step > least; step *= 2) {
      if (!enough(hi - step)) {
        lo = hi - step;
        break;
      }
      hi -= step;
    }
  } else {
    lo = start;
    bool found = false;
    for (int step = 1; lo + step < most; step *= 2) {
      if (enough(lo + step)) {
        hi = lo + step;
        found = true;
        break;
      }
      lo += step;
    }
    if (!found && !enough(most)) return most;
  }
  while (hi - lo > 1) {
    const int mid = lo + (hi - lo) / 2;
    (enough(mid) ? hi : lo) = mid;
  }
  return hi;
}

double FluidService::MeanLatency(double rps, double replicas) const {
  const FluidLoad load = replica_.At(rps / std::max(1e-9, replicas), replicas);
  const RequestMix& mix = replica_.mix();
  return load.decode_pass_s / 2 + load.prefill_wait_s +
         replica_.PrefillSeconds(mix.mean_prompt, load.batch) + mix.decode_steps * load.pass_s;
}

PlacedServiceRun FluidService::Result() const {
  PlacedServiceRun out;
  ServiceRun& run = out.run;
  const double served = arrivals_ - unserved_;
  run.requests = std::llround(arrivals_);
  const double kept = arrivals_ > 0 ? served / arrivals_ : 1;
  run.prompt_tokens = std::llround(prompt_tokens_ * kept);
  run.output_tokens = std::llround(output_tokens_ * kept);
  run.span_s = end_s_;
  std::size_t first = demand_.windows.size(), last = 0;
  for (std::size_t w = 0; w < demand_.windows.size(); ++w) {
    if (demand_.windows[w].requests <= 0) continue;
    first = std::min(first, w);
    last = w;
  }
  run.arrival_window_s =
      first <= last ? demand_.start_s(last) + demand_.span_s(last) - demand_.start_s(first) : 0;
  run.busy_s = busy_s_;
  run.ttft = SummaryOf(ttft_histogram_, served, unserved_, slo_.percentile);
  run.tpot = SummaryOf(tpot_histogram_, served, unserved_, slo_.percentile);
  run.attainment = arrivals_ > 0 ? met_ / arrivals_ : 1;
  run.slo_met =
      run.ttft.at_slo_percentile <= slo_.ttft_s && run.tpot.at_slo_percentile <= slo_.tpot_s;
  run.peak_batch = static_cast<std::int32_t>(std::ceil(peak_batch_));
  out.unserved = std::llround(unserved_);
  out.held_at_router = std::llround(held_);
  for (std::size_t i = 0; i < periods_.size(); ++i) {
    out.periods.push_back({std::llround(period_requests_[i]), std::llround(period_met_[i])});
  }
  return out;
}

}  // namespace gpufleet
