#include "model/fleet.h"

#include <algorithm>

#include "util/text.h"

namespace gpufleet {
namespace {

std::string Numbered(const std::string& name, int i, int count) {
  return count == 1 ? name : name + "-" + std::to_string(i + 1);
}

// A node's GPUs are one 64-bit mask.
constexpr int kMaxGpusPerNode = 64;

}  // namespace

double CountTopologyNodes(const SiteSpec& site, const std::vector<NodeType>& node_types) {
  double total = 1;
  for (const auto& p : site.pods) {
    double pod = 1;
    for (const auto& l : p.leaves) {
      double leaf = 1;
      for (const auto& d : l.domains) {
        leaf += static_cast<double>(d.count) *
                (1 + node_types[static_cast<size_t>(d.node_type)].nodes_per_domain);
      }
      pod += static_cast<double>(l.count) * leaf;
    }
    total += static_cast<double>(p.count) * pod;
  }
  return total;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kFleet:
      return "fleet";
    case Level::kSite:
      return "site";
    case Level::kPod:
      return "pod";
    case Level::kLeaf:
      return "leaf";
    case Level::kDomain:
      return "nvlink";
    case Level::kNode:
      return "node";
  }
  return "?";
}

const char* PricingName(Pricing p) {
  switch (p) {
    case Pricing::kOnDemand:
      return "on_demand";
    case Pricing::kReserved:
      return "reserved";
    case Pricing::kSpot:
      return "spot";
  }
  return "?";
}

Provider OwnedProvider(std::string name) {
  Provider p;
  p.name = std::move(name);
  return p;
}

SiteLink Fleet::LinkBetween(int a, int b) const {
  if (a > b) std::swap(a, b);
  for (const SiteLink& l : links_) {
    if (l.a == a && l.b == b) return l;
  }
  return SiteLink{a, b, kDefaultSiteLinkGbS, kDefaultSiteLinkLatencyS};
}

double Fleet::CopySeconds(int from, int to, double gb) const {
  if (from == to) return 0;
  const SiteLink link = LinkBetween(from, to);
  return link.latency_s + gb / link.gb_s;
}

std::optional<double> Fleet::GpuHourUsd(int site_index) const {
  const Site& site = sites_[static_cast<size_t>(site_index)];
  const Provider& provider = providers_[static_cast<size_t>(site.provider)];
  if (provider.kind != ProviderKind::kCloud) return std::nullopt;
  switch (site.pricing) {
    case Pricing::kOnDemand:
      return provider.gpu_hour_usd;
    case Pricing::kSpot:
      if (provider.spot) return provider.spot->gpu_hour_usd;
      return std::nullopt;
    case Pricing::kReserved:
      if (provider.reserved) return provider.reserved->gpu_hour_usd;
      return std::nullopt;
  }
  return std::nullopt;
}

Result<Fleet> Fleet::Build(const FleetSpec& spec) {
  Fleet f;
  f.providers_ = spec.providers;
  for (const SiteLink& l : spec.links) {
    if (l.a < 0 || l.b < 0 || l.a == l.b ||
        static_cast<size_t>(std::max(l.a, l.b)) >= spec.sites.size() || !(l.gb_s > 0) ||
        !(l.latency_s >= 0)) {
      return Error{
          "a link must join two distinct sites with a positive bandwidth and a latency of 0 or "
          "more"};
    }
    SiteLink k = l;
    if (k.a > k.b) std::swap(k.a, k.b);
    for (const SiteLink& other : f.links_) {
      if (other.a == k.a && other.b == k.b) return Error{"two links join the same two sites"};
    }
    f.links_.push_back(k);
  }
  // Dense GPU model ids for the models that some domain actually uses, in order of first use,
  // so that per-model arrays stay as small as the fleet.
  std::vector<int> type_model(spec.node_types.size(), -1);
  for (const auto& s : spec.sites) {
    for (const auto& p : s.pods) {
      for (const auto& l : p.leaves) {
        for (const auto& d : l.domains) {
          const size_t ti = static_cast<size_t>(d.node_type);
          if (type_model[ti] >= 0) continue;
          const NodeType& t = spec.node_types[ti];
          if (t.gpus_per_node < 1 || t.gpus_per_node > kMaxGpusPerNode) {
            return Error{"node type '" + t.name + "': gpus_per_node must be between 1 and 64"};
          }
          const GpuModel* m = FindGpuModel(t.gpu);
          for (const GpuModel& extra : spec.extra_gpu_models) {
            if (extra.name == t.gpu) m = &extra;
          }
          if (m == nullptr)
            return Error{"node type '" + t.name + "': unknown GPU model '" + t.gpu + "'"};
          ModelId id = f.FindModel(t.gpu);
          if (id == kAnyModel) {
            if (f.gpu_models_.size() >= kMaxGpuModels) {
              return Error{"node type '" + t.name + "': GPU model '" + t.gpu + "' would be the " +
                           std::to_string(kMaxGpuModels + 1) +
                           "th of the fleet; a fleet may have at most " +
                           std::to_string(kMaxGpuModels) + " GPU models"};
            }
            id = static_cast<ModelId>(f.gpu_models_.size());
            f.gpu_models_.push_back(*m);
          }
          type_model[ti] = id;
        }
      }
    }
  }
  f.node_types_ = spec.node_types;

  // Count first, so that an enormous `count` is an error rather than an out-of-memory crash (the
  // spec reader reports it with a location; this guards other callers).
  double total = 1;
  for (const auto& s : spec.sites) total += CountTopologyNodes(s, spec.node_types);
  if (total > kMaxTopologyNodes) {
    return Error{
        "the fleet expands to more than 20000000 topology nodes; check the `count` values"};
  }
  const double models = static_cast<double>(std::max<size_t>(1, f.gpu_models_.size()));
  if (total * models > kMaxTopologyNodesTimesModels) {
    return Error{"the fleet expands to " + std::to_string(static_cast<std::int64_t>(total)) +
                 " topology nodes with " + std::to_string(f.gpu_models_.size()) +
                 " GPU models; topology nodes x GPU models may be at most 100000000 (the "
                 "capacity index keeps a count for each)"};
  }
  f.topo_.reserve(static_cast<size_t>(total));

  // Breadth-first expansion: each level is generated in its parents' order, which makes children
  // contiguous and keeps the nodes under any subtree in one id range.
  f.topo_.push_back(TopoNode{-1, -1, 0, Level::kFleet, 1, ""});
  f.level_begin_[0] = 0;
  auto add_child = [&f](TopoId parent, Level level, std::string name, float oversub) {
    TopoNode& p = f.topo_[static_cast<size_t>(parent)];
    if (p.num_children == 0) p.first_child = static_cast<TopoId>(f.topo_.size());
    ++p.num_children;
    f.topo_.push_back(TopoNode{parent, -1, 0, level, oversub, std::move(name)});
  };

  f.level_begin_[1] = static_cast<TopoId>(f.topo_.size());
  for (const auto& s : spec.sites) {
    add_child(0, Level::kSite, s.site.name, s.uplink_oversubscription);
    f.sites_.push_back(s.site);
    f.sites_.back().topo = static_cast<TopoId>(f.topo_.size() - 1);
  }
  std::vector<const PodGroupSpec*> pod_spec;
  f.level_begin_[2] = static_cast<TopoId>(f.topo_.size());
  for (size_t si = 0; si < spec.sites.size(); ++si) {
    for (const auto& p : spec.sites[si].pods) {
      for (int i = 0; i < p.count; ++i) {
        add_child(f.sites_[si].topo, Level::kPod, Numbered(p.name, i, p.count),
                  p.uplink_oversubscription);
        pod_spec.push_back(&p);
      }
    }
  }
  std::vector<const LeafGroupSpec*> leaf_spec;
  f.level_begin_[3] = static_cast<TopoId>(f.topo_.size());
  for (TopoId t = f.level_begin_[2]; t < f.level_begin_[3]; ++t) {
    for (const auto& l : pod_spec[static_cast<size_t>(t - f.level_begin_[2])]->leaves) {
      for (int i = 0; i < l.count; ++i) {
        add_child(t, Level::kLeaf, Numbered(l.name, i, l.count), l.uplink_oversubscription);
        leaf_spec.push_back(&l);
      }
    }
  }
  std::vector<int> domain_type;
  f.level_begin_[4] = static_cast<TopoId>(f.topo_.size());
  for (TopoId t = f.level_begin_[3]; t < f.level_begin_[4]; ++t) {
    for (const auto& d : leaf_spec[static_cast<size_t>(t - f.level_begin_[3])]->domains) {
      for (int i = 0; i < d.count; ++i) {
        add_child(t, Level::kDomain, Numbered(d.name, i, d.count), d.uplink_oversubscription);
        domain_type.push_back(d.node_type);
      }
    }
  }
  f.level_begin_[5] = static_cast<TopoId>(f.topo_.size());
  for (TopoId t = f.level_begin_[4]; t < f.level_begin_[5]; ++t) {
    const int type = domain_type[static_cast<size_t>(t - f.level_begin_[4])];
    const NodeType& nt = spec.node_types[static_cast<size_t>(type)];
    for (int i = 0; i < nt.nodes_per_domain; ++i) {
      // A domain of one node (a DGX) is that node: the node adds no name of its own.
      add_child(t, Level::kNode, nt.nodes_per_domain == 1 ? "" : "n" + std::to_string(i + 1), 1);
      f.node_gpus_.push_back(static_cast<std::uint8_t>(nt.gpus_per_node));
      f.node_model_.push_back(static_cast<ModelId>(type_model[static_cast<size_t>(type)]));
      f.node_type_.push_back(static_cast<std::uint16_t>(type));
      f.total_gpus_ += nt.gpus_per_node;
    }
  }
  f.level_begin_[6] = static_cast<TopoId>(f.topo_.size());

  const size_t n = f.node_gpus_.size();
  for (int l = 0; l < kLevels; ++l) f.ancestors_[static_cast<size_t>(l)].resize(n);
  for (size_t i = 0; i < n; ++i) {
    TopoId t = f.level_begin_[5] + static_cast<TopoId>(i);
    for (int l = kLevels - 1; l >= 0; --l) {
      f.ancestors_[static_cast<size_t>(l)][i] = t;
      t = f.topo_[static_cast<size_t>(t)].parent;
    }
  }
  // Node ranges, bottom-up: a subtree's range spans its first to its last child's range.
  f.node_range_begin_.assign(f.topo_.size(), 0);
  f.node_range_end_.assign(f.topo_.size(), 0);
  for (TopoId t = static_cast<TopoId>(f.topo_.size()) - 1; t >= 0; --t) {
    const TopoNode& tn = f.topo_[static_cast<size_t>(t)];
    if (tn.level == Level::kNode) {
      f.node_range_begin_[static_cast<size_t>(t)] = t - f.level_begin_[5];
      f.node_range_end_[static_cast<size_t>(t)] = t - f.level_begin_[5] + 1;
    } else if (tn.num_children > 0) {
      f.node_range_begin_[static_cast<size_t>(t)] =
          f.node_range_begin_[static_cast<size_t>(tn.first_child)];
      f.node_range_end_[static_cast<size_t>(t)] =
          f.node_range_end_[static_cast<size_t>(tn.first_child + tn.num_children - 1)];
    }
  }
  return f;
}

ModelId Fleet::FindModel(std::string_view name) const {
  const std::string lower = Lowercase(name);  // the catalogue's names, in any case
  for (size_t i = 0; i < gpu_models_.size(); ++i) {
    if (gpu_models_[i].name == lower) return static_cast<ModelId>(i);
  }
  return kAnyModel;
}

std::string Fleet::Path(TopoId t) const {
  std::vector<const std::string*> parts;
  for (; t > 0; t = topo_[static_cast<size_t>(t)].parent) {
    const std::string& name = topo_[static_cast<size_t>(t)].name;
    if (!name.empty()) parts.push_back(&name);
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!out.empty()) out += '/';
    out += **it;
  }
  return out;
}

std::optional<TopoId> Fleet::FindPath(std::string_view path) const {
  TopoId cur = 0;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    // Descend through implicit (unnamed) levels until a child with this name is found.
    std::optional<TopoId> found;
    std::vector<TopoId> frontier{cur};
    while (!found && !frontier.empty()) {
      std::vector<TopoId> next;
      for (TopoId f : frontier) {
        const TopoNode& tn = topo_[static_cast<size_t>(f)];
        for (TopoId c = tn.first_child; c >= 0 && c < tn.first_child + tn.num_children; ++c) {
          const std::string& name = topo_[static_cast<size_t>(c)].name;
          if (name == part) {
            found = c;
            break;
          }
          if (name.empty()) next.push_back(c);
        }
        if (found) break;
      }
      frontier = std::move(next);
    }
    if (!found) return std::nullopt;
    cur = *found;
  }
  // A path naming a domain of one node also names that node; return the deepest match.
  return cur == 0 ? std::nullopt : std::optional<TopoId>(cur);
}

}  // namespace gpufleet
