// The fleet: providers, sites and the fixed-depth topology tree
//   fleet → site → pod (building) → leaf (rack group) → NVLink domain → node → GPUs.
// Stored as flat arrays in breadth-first order, so that the children of a topology node are
// contiguous and the nodes below any subtree form one contiguous range of node ids. A 400k-GPU
// campus is ~100k nodes and no per-GPU objects.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/catalog.h"
#include "util/result.h"
#include "util/time.h"

namespace gpufleet {

enum class Level : std::uint8_t { kFleet = 0, kSite, kPod, kLeaf, kDomain, kNode };
inline constexpr int kLevels = 6;
const char* LevelName(Level level);

using TopoId = std::int32_t;
using NodeId = std::int32_t;
using ModelId = std::int16_t;  // dense index into Fleet::gpu_models
inline constexpr ModelId kAnyModel = -1;
// GPU models one fleet may have (docs/SPEC.md, "Limits"): a job's set of allowed models is a
// 64-bit mask, a bit per ModelId. Fleet::Build refuses more.
inline constexpr int kMaxGpuModels = 64;
// The bit of model m in a mask of models; 0 for kAnyModel or an id no fleet can have, so that no
// shift is ever out of range.
inline constexpr std::uint64_t ModelBit(ModelId m) {
  return m >= 0 && m < kMaxGpuModels ? std::uint64_t{1} << m : 0;
}

struct TopoNode {
  TopoId parent = -1;
  TopoId first_child = -1;
  std::int32_t num_children = 0;
  Level level = Level::kFleet;
  // Oversubscription of this subtree's uplinks toward its parent: downlink over uplink capacity,
  // 1 = non-blocking (full bisection). Used by the network model.
  float uplink_oversubscription = 1;
  std::string name;  // local name; empty for a level the spec left implicit
};

enum class ProviderKind : std::uint8_t { kOwned, kCloud };

// How a rented site's capacity is paid for (docs/MODELS.md, "Providers' prices").
enum class Pricing : std::uint8_t {
  kOnDemand,  // the GPU-hours jobs hold, at the provider's gpu_hour_usd
  kReserved,  // every GPU of the site for the whole run, at the reserved price (a commitment)
  kSpot,      // the GPU-hours jobs hold, at the spot price; nodes are reclaimed at random
};
const char* PricingName(Pricing p);

struct ReservedPrice {
  double gpu_hour_usd = 0;
  SimTime term = 0;  // the commitment's length (a year, three)
};
struct SpotPrice {
  double gpu_hour_usd = 0;
  double reclaims_per_node_day = 0;  // the provider takes a node back at this rate
  SimTime notice = 0;                // warning before it does: time to checkpoint
  SimTime back_after = 0;            // when the node can be had again
};

// What owned capacity cost to buy, spread over its life (docs/MODELS.md, "Providers' prices"):
// every GPU of an owned provider's sites is billed gpu_usd / life for each moment of a run.
struct OwnedCapex {
  double gpu_usd = 0;  // per GPU, the server's share with its network and facility, as bought
  SimTime life = 0;    // the depreciation period (4-6 years is usual)
  // What a GPU-hour of it costs: the price spread evenly over the life.
  double GpuHourUsd() const { return gpu_usd / (static_cast<double>(life) / kHour); }
};
struct Provider {
  std::string name;
  ProviderKind kind = ProviderKind::kOwned;
  std::optional<double> gpu_hour_usd;  // list price of rented capacity (on demand)
  // Price of data leaving the provider's sites (checkpoints copied to another site), per GB.
  std::optional<double> egress_usd_per_gb;
  std::optional<ReservedPrice> reserved;
  std::optional<SpotPrice> spot;
  std::optional<OwnedCapex> capex;  // owned only
};
// An owned provider of that name, with no prices.
Provider OwnedProvider(std::string name);

// A link between two sites: the bandwidth checkpoint copies get over it and its one-way latency
// (docs/MODELS.md, "Checkpoints across sites"). Pairs without one take kDefaultSiteLink.
struct SiteLink {
  int a = 0, b = 0;  // site indices, a < b
  double gb_s = 0;   // GB/s, > 0
  double latency_s = 0;
};
// One 100 Gb/s wave (12.5 GB/s) at 50 ms: an assumption for the pairs a fleet declares no link
// between, of the order of a provisioned cross-region private circuit; declare the real ones.
inline constexpr double kDefaultSiteLinkGbS = 12.5;
inline constexpr double kDefaultSiteLinkLatencyS = 0.05;

struct Cooling {
  enum class Kind : std::uint8_t { kAir, kLiquid } kind = Kind::kAir;
  double design_pue = 1.3;           // annual-mean PUE the plant is designed for
  double free_cooling_below_c = 18;  // outdoor temperature below which chillers are off
};

// Capacity rented elastically (docs/MODELS.md, "Elastic renting"): an on-demand cloud site whose
// nodes are the most it may hold. None is held at the start; nodes are asked for when a queued
// job's forecast wait exceeds `rent_when_wait_exceeds`, serve (and are billed) `provisioning`
// later, and are given back once idle for `release_after_idle`.
struct ElasticRent {
  SimTime provisioning = 10 * kMinute;
  SimTime release_after_idle = 30 * kMinute;
  SimTime rent_when_wait_exceeds = 30 * kMinute;
};

struct Site {
  std::string name;
  int provider = 0;                      // index into Fleet::providers
  Pricing pricing = Pricing::kOnDemand;  // a rented site's; its provider offers it
  std::optional<ElasticRent> elastic;    // rented node by node as the queue needs (on demand)
  std::string location;
  std::string region;
  double power_budget_mw =
      0;  // a hard limit on IT power (docs/MODELS.md, "Power-aware scheduling")
  // The lowest GPU power cap, as a fraction of TDP, the site may impose to stay inside its budget;
  // 1: never cap (jobs wait for power instead).
  double gpu_power_cap_floor = 1;
  Cooling cooling;
  std::optional<double> tariff_usd_per_mwh;     // electricity price
  std::optional<double> carbon_g_per_kwh;       // grid carbon intensity (the mean, when hourly)
  std::vector<double> hourly_carbon_g_per_kwh;  // by hour from 1 January 00:00 (the year repeats)
  // Checkpoint storage bandwidth: 2 TB/s sustained, as Llama 3's (REFERENCE.md).
  double storage_gb_s = 2000;
  // Outdoor temperature, one value per hour from 1 January 00:00 (the year repeats); empty: the
  // plant runs at its design PUE throughout.
  std::string climate;
  std::vector<double> hourly_temperature_c;
  TopoId topo = -1;
};

// What a fleet spec describes before expansion: groups with a repetition count.
struct DomainGroupSpec {
  std::string name;
  int count = 1;
  float uplink_oversubscription = 1;  // the domain's scale-out NICs toward its leaf
  int node_type = 0;                  // index into FleetSpec::node_types
};
struct LeafGroupSpec {
  std::string name;
  int count = 1;
  float uplink_oversubscription = 1;
  std::vector<DomainGroupSpec> domains;
};
struct PodGroupSpec {
  std::string name;
  int count = 1;
  float uplink_oversubscription = 1;
  std::vector<LeafGroupSpec> leaves;
};
struct SiteSpec {
  Site site;
  float uplink_oversubscription = 1;
  std::vector<PodGroupSpec> pods;
};
struct FleetSpec {
  // GPU models beyond the catalogue, e.g. a trace's undisclosed "G2" (figures 0 = unknown).
  std::vector<GpuModel> extra_gpu_models;
  std::vector<Provider> providers;
  std::vector<NodeType> node_types;  // the types the sites refer to
  std::vector<SiteSpec> sites;
  std::vector<SiteLink> links;  // between distinct sites, each pair at most once
};

// Topology nodes one site expands to (itself, pods, leaves, domains, nodes), in floating point so
// that no product of counts can overflow. Fleets are limited to kMaxTopologyNodes.
double CountTopologyNodes(const SiteSpec& site, const std::vector<NodeType>& node_types);
inline constexpr double kMaxTopologyNodes = 20'000'000;
// The capacity index keeps a count per topology node, level and GPU model: topology nodes x GPU
// models are limited too (at the limit the table takes ~2.4 GB).
inline constexpr double kMaxTopologyNodesTimesModels = 100'000'000;

class Fleet {
 public:
  // Expands every `count`, assigns names and lays the tree out breadth-first.
  static Result<Fleet> Build(const FleetSpec& spec);

  const std::vector<GpuModel>& gpu_models() const { return gpu_models_; }
  const std::vector<NodeType>& node_types() const { return node_types_; }
  const std::vector<Provider>& providers() const { return providers_; }
  const std::vector<Site>& sites() const { return sites_; }
  const std::vector<SiteLink>& links() const { return links_; }
  // The link between sites a and b (a != b): the declared one, or the default.
  SiteLink LinkBetween(int a, int b) const;
  // Seconds to copy `gb` from site a to site b over their link: latency plus size over bandwidth
  // (0 within one site).
  double CopySeconds(int from, int to, double gb) const;
  // The price a GPU-hour of site `site` is billed at under its pricing (on demand, spot, reserved);
  // nullopt for an owned site or a price its provider does not give.
  std::optional<double> GpuHourUsd(int site) const;
  const std::vector<TopoNode>& topo() const { return topo_; }
  const TopoNode& topo(TopoId id) const { return topo_[static_cast<size_t>(id)]; }

  // Topology ids of one level form the range [LevelBegin(l), LevelEnd(l)).
  TopoId LevelBegin(Level l) const { return level_begin_[static_cast<int>(l)]; }
  TopoId LevelEnd(Level l) const { return level_begin_[static_cast<int>(l) + 1]; }
  int CountAt(Level l) const { return LevelEnd(l) - LevelBegin(l); }

  int num_nodes() const { return static_cast<int>(node_gpus_.size()); }
  std::int64_t total_gpus() const { return total_gpus_; }
  TopoId NodeTopo(NodeId n) const { return LevelBegin(Level::kNode) + n; }
  NodeId TopoToNode(TopoId t) const { return t - LevelBegin(Level::kNode); }
  int NodeGpus(NodeId n) const { return node_gpus_[static_cast<size_t>(n)]; }
  ModelId NodeModel(NodeId n) const { return node_model_[static_cast<size_t>(n)]; }
  int NodeTypeOf(NodeId n) const { return node_type_[static_cast<size_t>(n)]; }
  // The topology node at `level` above node n.
  TopoId Ancestor(NodeId n, Level level) const {
    return ancestors_[static_cast<int>(level)][static_cast<size_t>(n)];
  }
  int SiteOf(NodeId n) const { return Ancestor(n, Level::kSite) - LevelBegin(Level::kSite); }
  // Node ids below topology node t: [first, last).
  std::pair<NodeId, NodeId> NodeRange(TopoId t) const {
    return {node_range_begin_[static_cast<size_t>(t)], node_range_end_[static_cast<size_t>(t)]};
  }

  ModelId FindModel(std::string_view name) const;
  // "abilene/building-3/row-2/rack-17/n4": local names joined by '/', implicit levels skipped.
  std::string Path(TopoId t) const;
  std::optional<TopoId> FindPath(std::string_view path) const;

 private:
  std::vector<GpuModel> gpu_models_;
  std::vector<NodeType> node_types_;
  std::vector<Provider> providers_;
  std::vector<Site> sites_;
  std::vector<SiteLink> links_;
  std::vector<TopoNode> topo_;
  std::array<TopoId, kLevels + 1> level_begin_{};
  std::vector<std::uint8_t> node_gpus_;
  std::vector<ModelId> node_model_;
  std::vector<std::uint16_t> node_type_;
  std::array<std::vector<TopoId>, kLevels> ancestors_;
  std::vector<NodeId> node_range_begin_, node_range_end_;
  std::int64_t total_gpus_ = 0;
};

}  // namespace gpufleet
