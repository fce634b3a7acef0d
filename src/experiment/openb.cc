#include "experiment/openb.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <tuple>
#include <unordered_map>

#include "model/job.h"
#include "trace/csv.h"
#include "util/rng.h"

namespace gpufleet {
namespace {

Result<int> Column(const CsvFile& f, const char* name) { return f.Column(name); }

}  // namespace

Result<OpenbCluster> LoadOpenbNodes(const std::string& path) {
  Result<CsvFile> opened = CsvFile::Open(path);
  if (!opened.ok()) return opened.error();
  CsvFile& f = opened.value();
  int col[5];
  const char* names[5] = {"sn", "cpu_milli", "memory_mib", "gpu", "model"};
  for (int i = 0; i < 5; ++i) {
    Result<int> c = Column(f, names[i]);
    if (!c.ok()) return c.error();
    col[i] = c.value();
  }
  OpenbCluster out;
  std::map<std::string, int> model_index;
  while (f.Next()) {
    Result<std::int64_t> cpu = ReadInteger(f, col[1]);
    Result<std::int64_t> mem = ReadInteger(f, col[2]);
    Result<std::int64_t> gpus = ReadInteger(f, col[3]);
    for (const auto* r : {&cpu, &mem, &gpus}) {
      if (!r->ok()) return r->error();
    }
    if (cpu.value() < 0 || mem.value() < 0)
      return Error{f.Where(col[1]) + "expected non-negative capacities"};
    // A node's limits (docs/SPEC.md, "Limits"): the scores' arithmetic stays far from overflow.
    if (static_cast<double>(cpu.value()) > kMaxNodeCpuCores * 1000)
      return Error{f.Where(col[1]) + "expected at most 1000000000 milli-CPU per node"};
    if (static_cast<double>(mem.value()) > kMaxNodeMemoryGb * 1024)
      return Error{f.Where(col[2]) + "expected at most 1024000000 MiB per node"};
    if (gpus.value() < 0 || gpus.value() > 8)
      return Error{f.Where(col[3]) + "expected 0 to 8 GPUs per node"};
    SharedNode n;
    n.cpu_milli = n.cpu_capacity = cpu.value();
    n.memory_mib = n.memory_capacity = mem.value();
    n.gpu_free.assign(static_cast<size_t>(gpus.value()), kMilliPerGpu);
    const std::string model(f.Field(col[4]));
    if (gpus.value() > 0) {
      if (model.empty())
        return Error{f.Where(col[4]) + "expected the GPU model of a node with GPUs"};
      auto [it, added] = model_index.emplace(model, static_cast<int>(out.models.size()));
      if (added) out.models.push_back(model);
      n.model = it->second;
    }
    out.names.emplace_back(f.Field(col[0]));
    out.total_gpus += gpus.value();
    out.nodes.push_back(std::move(n));
  }
  if (out.nodes.empty()) return Error{path + ": no nodes"};
  return out;
}

Result<std::vector<OpenbPod>> LoadOpenbPods(const std::string& path, OpenbCluster& cluster) {
  Result<CsvFile> opened = CsvFile::Open(path);
  if (!opened.ok()) return opened.error();
  CsvFile& f = opened.value();
  int col[5];
  const char* names[5] = {"name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"};
  for (int i = 0; i < 5; ++i) {
    Result<int> c = Column(f, names[i]);
    if (!c.ok()) return c.error();
    col[i] = c.value();
  }
  const std::optional<int> spec_col = f.FindColumn("gpu_spec");
  // Models by name: a pod may name models no node has, which join the list; a lookup that scanned
  // the list made a pod naming 100,000 of them take seconds (found by review, issue 11).
  std::unordered_map<std::string, int> model_index;
  for (size_t m = 0; m < cluster.models.size(); ++m)
    model_index.emplace(cluster.models[m], static_cast<int>(m));
  std::vector<OpenbPod> pods;
  while (f.Next()) {
    Result<std::int64_t> cpu = ReadInteger(f, col[1]);
    Result<std::int64_t> mem = ReadInteger(f, col[2]);
    Result<std::int64_t> gpus = ReadInteger(f, col[3]);
    Result<std::int64_t> milli = ReadInteger(f, col[4]);
    for (const auto* r : {&cpu, &mem, &gpus, &milli}) {
      if (!r->ok()) return r->error();
    }
    if (cpu.value() < 0 || mem.value() < 0)
      return Error{f.Where(col[1]) + "expected non-negative requests"};
    if (cpu.value() > kMaxJobCpuMilli)
      return Error{f.Where(col[1]) + "expected at most 1000000000000 milli-CPU"};
    if (mem.value() > kMaxJobMemoryMib)
      return Error{f.Where(col[2]) + "expected at most 1024000000000 MiB"};
    if (gpus.value() < 0 || gpus.value() > 64)
      return Error{f.Where(col[3]) + "expected 0 to 64 GPUs"};
    OpenbPod p;
    p.name = std::string(f.Field(col[0]));
    p.request.cpu_milli = cpu.value();
    p.request.memory_mib = mem.value();
    if (gpus.value() > 0) {
      p.request.gpus = static_cast<int>(gpus.value());
      // gpu_milli is clipped to 0..1000 (§2).
      p.request.milli = static_cast<int>(std::clamp<std::int64_t>(milli.value(), 0, kMilliPerGpu));
      if (spec_col) {
        p.spec = std::string(f.Field(*spec_col));
        size_t start = 0;
        while (start <= p.spec.size()) {
          const size_t bar = std::min(p.spec.find('|', start), p.spec.size());
          const std::string model = p.spec.substr(start, bar - start);
          if (!model.empty()) {
            auto [it, added] = model_index.emplace(model, static_cast<int>(cluster.models.size()));
            if (added) cluster.models.push_back(model);
            p.request.models.push_back(it->second);
          }
          start = bar + 1;
        }
        std::sort(p.request.models.begin(), p.request.models.end());
      }
    }
    pods.push_back(std::move(p));
  }
  if (pods.empty()) return Error{path + ": no pods"};
  std::stable_sort(pods.begin(), pods.end(),
                   [](const OpenbPod& a, const OpenbPod& b) { return a.name < b.name; });
  return pods;
}

std::vector<TypicalPod> TypicalPods(const std::vector<OpenbPod>& pods) {
  std::vector<LabelledPod> labelled;
  labelled.reserve(pods.size());
  for (const OpenbPod& p : pods) labelled.push_back({p.request, p.spec});
  return TypicalPodsOf(labelled);
}

namespace {

std::vector<int> ArrivalSequence(const std::vector<OpenbPod>& pods, std::int64_t capacity_milli,
                                 double tune, Rng& rng) {
  std::vector<int> seq(pods.size());
  std::iota(seq.begin(), seq.end(), 0);
  for (size_t i = seq.size(); i > 1; --i) std::swap(seq[i - 1], seq[rng.Below(i)]);
  std::int64_t demand = 0;
  for (const OpenbPod& p : pods) demand += p.request.DemandMilli();
  const double target = tune * static_cast<double>(capacity_milli);
  // Tuning up needs GPU demand to add; a list of CPU-only pods is left as it is.
  const bool any_gpu_demand =
      std::any_of(pods.begin(), pods.end(), [](const OpenbPod& p) { return p.request.milli > 0; });
  if (static_cast<double>(demand) < target && any_gpu_demand) {
    // Tune up with clones drawn with replacement, appended after the originals. The stop test
    // uses the clone's per-GPU milli, a quirk of the original simulator kept on purpose.
    for (;;) {
      const int i = static_cast<int>(rng.Below(pods.size()));
      const PodRequest& r = pods[static_cast<size_t>(i)].request;
      if (static_cast<double>(demand + r.milli) > target) break;
      seq.push_back(i);
      demand += r.DemandMilli();
    }
  } else {
    while (static_cast<double>(demand) > target && !seq.empty()) {
      const size_t k = rng.Below(seq.size());
      demand -= pods[static_cast<size_t>(seq[k])].request.DemandMilli();
      seq.erase(seq.begin() + static_cast<std::ptrdiff_t>(k));
    }
  }
  return seq;
}

// Pod shapes as FGD scores them (cpu, m, k, models): the key of the score cache.
int ShapeId(std::map<std::tuple<std::int64_t, int, int, std::vector<int>>, int>& ids,
            const PodRequest& r) {
  return ids
      .emplace(std::make_tuple(r.cpu_milli, r.milli, r.gpus, r.models),
               static_cast<int>(ids.size()))
      .first->second;
}

}  // namespace

OpenbRun RunOpenb(const OpenbCluster& cluster, const std::vector<OpenbPod>& pods,
                  const std::vector<TypicalPod>& typical, SharePolicy policy, std::uint64_t seed,
                  double tune) {
  Rng rng(seed);
  OpenbRun run;
  const std::int64_t capacity = cluster.total_gpus * kMilliPerGpu;
  run.arrival = ArrivalSequence(pods, capacity, tune, rng);
  // Node tie-break ranks: a random permutation; on equal scores the lowest rank wins.
  std::vector<int> rank(cluster.nodes.size());
  std::iota(rank.begin(), rank.end(), 0);
  for (size_t i = rank.size(); i > 1; --i) std::swap(rank[i - 1], rank[rng.Below(i)]);

  std::vector<SharedNode> nodes = cluster.nodes;
  std::vector<double> frag(nodes.size());
  double frag_total = 0;
  std::int64_t idle = 0, used = 0, arrived = 0;
  for (size_t n = 0; n < nodes.size(); ++n) {
    frag[n] = NodeFragment(nodes[n], typical);
    frag_total += frag[n];
    idle += nodes[n].FreeMilli();
  }
  // FGD's scores depend only on the node and the pod's shape: cache them per node until the node
  // changes.
  std::map<std::tuple<std::int64_t, int, int, std::vector<int>>, int> shape_ids;
  struct Cached {
    std::uint32_t version = 0;
    NodeScore placement;
  };
  std::vector<std::vector<Cached>> cache(nodes.size());
  std::vector<std::uint32_t> version(nodes.size(), 1);

  run.events.reserve(run.arrival.size());
  for (int pi : run.arrival) {
    const PodRequest& pod = pods[static_cast<size_t>(pi)].request;
    arrived += pod.DemandMilli();
    const int shape = policy == SharePolicy::kFgd ? ShapeId(shape_ids, pod) : 0;
    auto score = [&](int n) {
      const auto i = static_cast<size_t>(n);
      if (policy != SharePolicy::kFgd) return Score(policy, nodes[i], pod, typical);
      auto& slots = cache[i];
      if (slots.size() <= static_cast<size_t>(shape)) slots.resize(static_cast<size_t>(shape) + 1);
      Cached& c = slots[static_cast<size_t>(shape)];
      if (c.version != version[i]) c = Cached{version[i], Score(policy, nodes[i], pod, typical)};
      return c.placement;
    };
    const SharePick pick = PickNode(
        policy, static_cast<int>(nodes.size()), pod, rank.data(), rng,
        [&](int n) { return Feasible(nodes[static_cast<size_t>(n)], pod); }, score,
        [&](int n, int g) {
          return nodes[static_cast<size_t>(n)].gpu_free[static_cast<size_t>(g)];
        },
        [&](int n) { return nodes[static_cast<size_t>(n)].Gpus(); });
    const int best = pick.node;
    const NodeScore& best_placement = pick.placement;
    if (best >= 0) {
      SharedNode& node = nodes[static_cast<size_t>(best)];
      Bind(node, pod, best_placement.gpus);
      ++version[static_cast<size_t>(best)];
      used += pod.DemandMilli();
      idle -= pod.DemandMilli();
      const double f = NodeFragment(node, typical);
      frag_total += f - frag[static_cast<size_t>(best)];
      frag[static_cast<size_t>(best)] = f;
    } else {
      ++run.failed;
    }
    run.events.push_back(OpenbEvent{arrived, used, idle, frag_total});
  }
  return run;
}

OpenbCurves BinCurves(const OpenbRun& run, std::int64_t total_gpus) {
  OpenbCurves c;
  const double unit = static_cast<double>(total_gpus) * 10;  // milli-GPU per percent of capacity
  // Per event: arrived % rounded half to even (Python's round), allocation % to 2 decimals.
  std::vector<int> arrive_pct(run.events.size());
  std::vector<double> alloc_pct(run.events.size());
  for (size_t i = 0; i < run.events.size(); ++i) {
    arrive_pct[i] =
        static_cast<int>(std::nearbyint(static_cast<double>(run.events[i].arrived_milli) / unit));
    alloc_pct[i] = std::nearbyint(static_cast<double>(run.events[i].used_milli) / unit * 100) / 100;
  }
  auto round2 = [](double x) { return std::nearbyint(x * 100) / 100; };
  for (int x = 0; x <= 130; ++x) {
    for (int width = 0; width <= 1; ++width) {
      double alloc = 0, frag = 0, ratio = 0;
      int n = 0;
      for (size_t i = 0; i < run.events.size(); ++i) {
        if (std::abs(arrive_pct[i] - x) > width) continue;
        const OpenbEvent& e = run.events[i];
        alloc += alloc_pct[i];
        frag += e.frag_milli;
        ratio += e.idle_milli > 0 ? 100 * e.frag_milli / static_cast<double>(e.idle_milli) : 0;
        ++n;
      }
      if (n == 0) continue;
      c.allocation[static_cast<size_t>(x)] = round2(alloc / n);
      c.fragmentation[static_cast<size_t>(x)] =
          round2(100 * (frag / n) / 1000 / static_cast<double>(total_gpus));
      c.frag_ratio[static_cast<size_t>(x)] = ratio / n;
      break;
    }
  }
  return c;
}

}  // namespace gpufleet
