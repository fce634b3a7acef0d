#include "sched/shared_gpu.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <tuple>

#include "sched/gpu_fit.h"

namespace gpufleet {
namespace {

constexpr double kMaxCpu = 128000;  // normalisation constants of the study (§4)
constexpr double kMaxGpu = 8000;

bool ModelAllowed(const SharedNode& n, const PodRequest& p) {
  return p.models.empty() || std::find(p.models.begin(), p.models.end(), n.model) != p.models.end();
}

int GpusWithAtLeast(const SharedNode& n, int milli) {
  int c = 0;
  for (int g : n.gpu_free) c += g >= milli ? 1 : 0;
  return c;
}

// Whole and multi-GPU pods take the lowest-index fully free GPUs.
std::vector<int> LowestFreeGpus(const SharedNode& n, const PodRequest& p) {
  std::vector<int> out;
  for (int i = 0; i < n.Gpus() && static_cast<int>(out.size()) < p.gpus; ++i) {
    if (n.gpu_free[static_cast<size_t>(i)] >= p.milli) out.push_back(i);
  }
  return out;
}

// Sharing pods by best fit (the GPU with the least milli that still fits, lowest index on ties),
// whole and multi-GPU pods on the lowest-index GPUs that fit (§4).
std::vector<int> DefaultGpus(const SharedNode& n, const PodRequest& p) {
  if (p.gpus == 0) return {};
  return p.Sharing() ? TightestGpus(n.gpu_free, p.milli, 1) : LowestFreeGpus(n, p);
}

// A score truncated to an int as the plugins' int(...) does; far outside the 0-100 of real nodes
// (a node with 10^6 cores), clamped first so that the conversion stays defined.
int ScoreOf(double x) { return static_cast<int>(std::clamp(x, -1e9, 1e9)); }

int Sigmoid100(double x) { return static_cast<int>(100.0 / (1.0 + std::exp(-x))); }

int PackingScore(const SharedNode& n, const PodRequest& p) {
  if (p.gpus == 0) return 0;
  const int free_gpus = n.FullyFreeGpus();
  if (free_gpus == n.Gpus()) return std::max(33 - free_gpus, free_gpus);
  // The first k GPUs with room, in ascending order of free milli (stable).
  int fully_free = 0;
  int used_tenths = 0;
  for (int i : TightestGpus(n.gpu_free, p.milli, p.gpus)) {
    const int g = n.gpu_free[static_cast<size_t>(i)];
    fully_free += g == kMilliPerGpu ? 1 : 0;
    used_tenths += g * 100 / kMilliPerGpu;
  }
  if (fully_free > 0) return std::max(50 - fully_free, 33);
  return std::max(100 - used_tenths / 10, 50);
}

int ClusteringScore(const SharedNode& n, const PodRequest& p) {
  if (p.gpus == 0) return 0;
  const int base = 25 * (static_cast<int>(kMaxGpu) - n.FreeMilli()) / static_cast<int>(kMaxGpu);
  const size_t tag = p.Sharing() ? 0 : static_cast<size_t>(std::min(p.gpus, 8));
  int kinds = 0;
  for (int c : n.tag_counts) kinds += c > 0 ? 1 : 0;
  if (kinds == 0) return base + 25;
  if (n.tag_counts[tag] > 0) return base + (kinds == 1 ? 75 : 50);
  return base;
}

}  // namespace

int SharedNode::FreeMilli() const { return std::accumulate(gpu_free.begin(), gpu_free.end(), 0); }

int SharedNode::FullyFreeGpus() const { return GpusWithAtLeast(*this, kMilliPerGpu); }

const char* SharePolicyName(SharePolicy p) {
  switch (p) {
    case SharePolicy::kRandom:
      return "random";
    case SharePolicy::kDotProd:
      return "dotprod";
    case SharePolicy::kClustering:
      return "clustering";
    case SharePolicy::kPacking:
      return "packing";
    case SharePolicy::kBestFit:
      return "bestfit";
    case SharePolicy::kFgd:
      return "fgd";
  }
  return "?";
}

std::vector<SharePolicy> AllSharePolicies() {
  return {SharePolicy::kRandom,  SharePolicy::kDotProd, SharePolicy::kClustering,
          SharePolicy::kPacking, SharePolicy::kBestFit, SharePolicy::kFgd};
}

std::optional<SharePolicy> ParseSharePolicy(std::string_view name) {
  for (SharePolicy p : AllSharePolicies()) {
    if (name == SharePolicyName(p)) return p;
  }
  return std::nullopt;
}

bool Feasible(const SharedNode& n, const PodRequest& p) {
  if (n.cpu_milli < p.cpu_milli || n.memory_mib < p.memory_mib) return false;
  if (p.gpus == 0) return true;
  return n.Gpus() > 0 && ModelAllowed(n, p) && GpusWithAtLeast(n, p.milli) >= p.gpus;
}

double FragmentFor(const SharedNode& n, const PodRequest& t) {
  const int all = n.FreeMilli();
  if (t.milli == 0) return all;  // a CPU task can use no GPU: all is fragment
  if (!ModelAllowed(n, t)) return all;
  if (GpusWithAtLeast(n, t.milli) >= t.gpus && n.cpu_milli >= t.cpu_milli) {
    int small = 0;  // GPUs too small for the task
    for (int g : n.gpu_free) small += g < t.milli ? g : 0;
    return small;
  }
  return all;  // lacking GPUs, CPU or both: the task cannot use any of it
}

double NodeFragment(const SharedNode& n, const std::vector<TypicalPod>& typical) {
  double f = 0;
  for (const TypicalPod& t : typical) f += t.share * FragmentFor(n, t.pod);
  return f;
}

NodeScore Score(SharePolicy policy, const SharedNode& n, const PodRequest& p,
                const std::vector<TypicalPod>& typical) {
  switch (policy) {
    case SharePolicy::kRandom:
      return {100, DefaultGpus(n, p)};
    case SharePolicy::kDotProd: {
      const double d = (static_cast<double>(n.cpu_milli) / kMaxCpu) *
                           (static_cast<double>(p.cpu_milli) / kMaxCpu) +
                       (n.FreeMilli() / kMaxGpu) * (static_cast<double>(p.DemandMilli()) / kMaxGpu);
      return {ScoreOf(100 * (1 - d / 2)), DefaultGpus(n, p)};
    }
    case SharePolicy::kClustering:
      return {ClusteringScore(n, p), DefaultGpus(n, p)};
    case SharePolicy::kPacking:
      return {PackingScore(n, p), DefaultGpus(n, p)};
    case SharePolicy::kBestFit: {
      const double s = 0.5 * static_cast<double>(n.cpu_milli - p.cpu_milli) / kMaxCpu +
                       0.5 * static_cast<double>(n.FreeMilli() - p.DemandMilli()) / kMaxGpu;
      return {ScoreOf(100 * (1 - s)), DefaultGpus(n, p)};
    }
    case SharePolicy::kFgd: {
      const double before = NodeFragment(n, typical);
      if (p.Sharing()) {
        // Try every GPU that fits; keep the first reaching the best (truncated) score.
        NodeScore best{-1, {}};
        for (int i = 0; i < n.Gpus(); ++i) {
          if (n.gpu_free[static_cast<size_t>(i)] < p.milli) continue;
          SharedNode after = n;
          after.cpu_milli -= p.cpu_milli;
          after.gpu_free[static_cast<size_t>(i)] -= p.milli;
          const int s = Sigmoid100((before - NodeFragment(after, typical)) / 1000);
          if (s > best.score) best = {s, {i}};
        }
        return best;
      }
      SharedNode after = n;
      after.cpu_milli -= p.cpu_milli;
      const std::vector<int> gpus = DefaultGpus(n, p);
      for (int i : gpus) after.gpu_free[static_cast<size_t>(i)] -= p.milli;
      return {Sigmoid100((before - NodeFragment(after, typical)) / 1000), gpus};
    }
  }
  return {};
}

void Bind(SharedNode& n, const PodRequest& p, const std::vector<int>& gpus) {
  n.cpu_milli -= p.cpu_milli;
  n.memory_mib -= p.memory_mib;
  for (int i : gpus) n.gpu_free[static_cast<size_t>(i)] -= p.milli;
  if (p.gpus > 0) n.tag_counts[p.Sharing() ? 0 : static_cast<size_t>(std::min(p.gpus, 8))]++;
}

std::vector<TypicalPod> TypicalPodsOf(const std::vector<LabelledPod>& pods) {
  // Key (cpu, m, k, model-set string): memory is not part of it; CPU-only pods are included.
  using Key = std::tuple<std::int64_t, int, int, std::string>;
  std::map<Key, std::pair<std::int64_t, PodRequest>> counts;
  for (const LabelledPod& p : pods) {
    auto& entry = counts[Key{p.request.cpu_milli, p.request.milli, p.request.gpus, p.label}];
    if (entry.first++ == 0) entry.second = p.request;
  }
  std::vector<std::pair<Key, std::pair<std::int64_t, PodRequest>>> sorted(counts.begin(),
                                                                          counts.end());
  // By count, then larger cpu, m, k and spec string.
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    if (a.second.first != b.second.first) return a.second.first > b.second.first;
    return a.first > b.first;
  });
  std::vector<TypicalPod> out;
  std::int64_t covered = 0;
  const auto total = static_cast<std::int64_t>(pods.size());
  for (const auto& [key, entry] : sorted) {
    if (covered * 100 >= total * 95) break;  // the shortest prefix covering 95% of the pods
    covered += entry.first;
    out.push_back(TypicalPod{entry.second, static_cast<double>(entry.first)});
  }
  for (TypicalPod& t : out) t.share /= static_cast<double>(covered);
  return out;
}

}  // namespace gpufleet
