// The fleet spec: providers, node types and sites with their topology tree (docs/SPEC.md).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "physics/cooling.h"
#include "physics/power.h"
#include "spec/hourly_csv.h"
#include "spec/specs.h"
#include "spec/yaml_reader.h"
#include "util/checked_number.h"
#include "util/text.h"

namespace gpufleet {
namespace {

class FleetParser {
 public:
  explicit FleetParser(SpecReader& r) : r_(r) {}

  FleetSpec Parse(const YAML::Node& root) {
    for (const auto& t : BuiltinNodeTypes()) spec_.node_types.push_back(t);
    MapReader top(r_, root, "");
    ParseProviders(top.Get("providers"));
    ParseNodeTypes(top.Get("node_types"));
    const YAML::Node sites = top.Required("sites");
    const YAML::Node links = top.Get("links");
    top.Finish();
    if (sites.IsDefined() && r_.ExpectSequence(sites, "sites")) {
      if (sites.size() == 0) r_.Fail(sites, "sites", "expected at least one site");
      std::set<std::string> names;
      for (size_t i = 0; i < sites.size(); ++i)
        ParseSite(sites[i], "sites[" + std::to_string(i) + "]", names);
    }
    ParseLinks(links);
    return std::move(spec_);
  }

 private:
  void ParseProviders(const YAML::Node& list) {
    if (!list.IsDefined()) {
      spec_.providers.push_back(OwnedProvider("owned"));
      return;
    }
    if (!r_.ExpectSequence(list, "providers")) return;
    if (list.size() == 0) {
      r_.Fail(list, "providers",
              "expected at least one provider (leave the key out for one "
              "owned provider named \"owned\")");
      return;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = "providers[" + std::to_string(i) + "]";
      MapReader m(r_, list[i], path);
      Provider p;
      if (auto name = r_.String(m.Required("name"), m.Field("name"))) p.name = *name;
      const YAML::Node kind = m.Get("kind");
      if (kind.IsDefined()) {
        auto k = r_.String(kind, m.Field("kind"));
        if (k && *k == "cloud") {
          p.kind = ProviderKind::kCloud;
        } else if (k && *k != "owned") {
          r_.Fail(kind, m.Field("kind"), "expected 'owned' or 'cloud', got '" + *k + "'");
        }
      }
      const YAML::Node price = m.Get("gpu_hour_usd");
      if (price.IsDefined()) {
        p.gpu_hour_usd = r_.NonNegativeNumber(price, m.Field("gpu_hour_usd"));
        // Only rented capacity is billed by the hour: on owned capacity the price would be read
        // and never used (issue 11 item 13).
        if (p.kind == ProviderKind::kOwned) {
          r_.Fail(price, m.Field("gpu_hour_usd"),
                  "a price per rented GPU-hour needs kind: cloud; owned capacity costs its "
                  "electricity (a site's tariff_usd_per_mwh) and its purchase (capex)");
        }
      }
      const YAML::Node egress = m.Get("egress_usd_per_gb");
      if (egress.IsDefined())
        p.egress_usd_per_gb = r_.NonNegativeNumber(egress, m.Field("egress_usd_per_gb"));
      const YAML::Node reserved = m.Get("reserved");
      const YAML::Node spot = m.Get("spot");
      if (const YAML::Node capex = m.Get("capex"); capex.IsDefined()) {
        if (p.kind == ProviderKind::kOwned) {
          p.capex = ParseCapex(capex, m.Field("capex"));
        } else {
          r_.Fail(capex, m.Field("capex"),
                  "a purchase price needs kind: owned; rented capacity costs its prices "
                  "(gpu_hour_usd, reserved, spot)");
        }
      }
      if (p.kind == ProviderKind::kOwned) {
        for (const auto& [node, key] : {std::pair{reserved, "reserved"}, std::pair{spot, "spot"}}) {
          if (node.IsDefined()) {
            r_.Fail(node, m.Field(key),
                    std::string("a ") + key +
                        " price needs kind: cloud; owned capacity costs its "
                        "electricity and its purchase (capex)");
          }
        }
      } else {
        if (reserved.IsDefined()) p.reserved = ParseReserved(reserved, m.Field("reserved"));
        if (spot.IsDefined()) p.spot = ParseSpot(spot, m.Field("spot"));
      }
      // A price declared with errors of its own: its sites' pricing is not an error besides.
      if (reserved.IsDefined()) reserved_declared_.insert(p.name);
      if (spot.IsDefined()) spot_declared_.insert(p.name);
      m.Finish();
      for (const auto& q : spec_.providers) {
        if (q.name == p.name)
          r_.Fail(list[i], m.Field("name"), "duplicate provider name '" + p.name + "'");
      }
      spec_.providers.push_back(std::move(p));
    }
  }

  std::optional<OwnedCapex> ParseCapex(const YAML::Node& node, const std::string& path) {
    MapReader m(r_, node, path);
    if (!m.valid()) return std::nullopt;
    const std::optional<double> price =
        r_.NonNegativeNumber(m.Required("gpu_usd"), m.Field("gpu_usd"));
    const std::optional<SimTime> life = r_.PositiveDuration(m.Required("life"), m.Field("life"));
    m.Finish();
    if (!price || !life) return std::nullopt;
    return OwnedCapex{*price, *life};
  }

  std::optional<ReservedPrice> ParseReserved(const YAML::Node& node, const std::string& path) {
    MapReader m(r_, node, path);
    if (!m.valid()) return std::nullopt;
    ReservedPrice out;
    const std::optional<double> price =
        r_.NonNegativeNumber(m.Required("gpu_hour_usd"), m.Field("gpu_hour_usd"));
    const std::optional<SimTime> term = r_.PositiveDuration(m.Required("term"), m.Field("term"));
    m.Finish();
    if (!price || !term) return std::nullopt;
    out.gpu_hour_usd = *price;
    out.term = *term;
    return out;
  }

  std::optional<SpotPrice> ParseSpot(const YAML::Node& node, const std::string& path) {
    MapReader m(r_, node, path);
    if (!m.valid()) return std::nullopt;
    SpotPrice out;
    const std::optional<double> price =
        r_.NonNegativeNumber(m.Required("gpu_hour_usd"), m.Field("gpu_hour_usd"));
    // At most one reclaim a node-minute: beyond that nothing would ever run.
    const std::optional<double> rate =
        r_.NumberIn(m.Required("reclaims_per_node_day"), m.Field("reclaims_per_node_day"), 0, 1440,
                    "reclaims per node and day");
    const std::optional<SimTime> notice = r_.Duration(m.Required("notice"), m.Field("notice"));
    const std::optional<SimTime> back =
        r_.PositiveDuration(m.Required("back_after"), m.Field("back_after"));
    m.Finish();
    if (!price || !rate || !notice || !back) return std::nullopt;
    out.gpu_hour_usd = *price;
    out.reclaims_per_node_day = *rate;
    out.notice = *notice;
    out.back_after = *back;
    return out;
  }

  // `links:` after the sites, whose names they join.
  void ParseLinks(const YAML::Node& list) {
    if (!list.IsDefined() || !r_.ExpectSequence(list, "links")) return;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = "links[" + std::to_string(i) + "]";
      MapReader m(r_, list[i], path);
      if (!m.valid()) continue;
      SiteLink link;
      bool ok = true;
      const YAML::Node between = m.Required("between");
      if (between.IsDefined()) {
        if (!between.IsSequence() || between.size() != 2) {
          r_.Fail(between, m.Field("between"), "expected two site names, e.g. [campus, oci]");
          ok = false;
        } else {
          int ends[2] = {-1, -1};
          for (size_t e = 0; e < 2; ++e) {
            const std::string field = m.Field("between") + "[" + std::to_string(e) + "]";
            const std::optional<std::string> name = r_.String(between[e], field);
            if (!name) {
              ok = false;
              continue;
            }
            for (size_t k = 0; k < spec_.sites.size(); ++k) {
              if (spec_.sites[k].site.name == *name) ends[e] = static_cast<int>(k);
            }
            if (ends[e] < 0) {
              std::vector<std::string> known;
              for (const SiteSpec& site : spec_.sites) known.push_back(site.site.name);
              r_.Fail(between[e], field,
                      "unknown site '" + *name + "'; the fleet's sites: " + ListNames(known));
              ok = false;
            }
          }
          if (ok && ends[0] == ends[1]) {
            r_.Fail(between, m.Field("between"), "expected two different sites");
            ok = false;
          }
          link.a = std::min(ends[0], ends[1]);
          link.b = std::max(ends[0], ends[1]);
        }
      } else {
        ok = false;
      }
      const YAML::Node bandwidth = m.Required("gb_s");
      if (bandwidth.IsDefined()) {
        const std::optional<double> gb_s = r_.PositiveNumber(bandwidth, m.Field("gb_s"));
        ok = ok && gb_s.has_value();
        link.gb_s = gb_s.value_or(0);
      } else {
        ok = false;
      }
      const YAML::Node latency = m.Get("latency");
      if (latency.IsDefined()) {
        const std::optional<SimTime> t = r_.Duration(latency, m.Field("latency"));
        ok = ok && t.has_value();
        link.latency_s = static_cast<double>(t.value_or(0)) / kSecond;
      }
      m.Finish();
      if (!ok) continue;
      for (const SiteLink& other : spec_.links) {
        if (other.a == link.a && other.b == link.b) {
          r_.Fail(between, m.Field("between"),
                  "a link between '" + spec_.sites[static_cast<size_t>(link.a)].site.name +
                      "' and '" + spec_.sites[static_cast<size_t>(link.b)].site.name +
                      "' is declared twice");
          ok = false;
        }
      }
      if (ok) spec_.links.push_back(link);
    }
  }

  void ParseNodeTypes(const YAML::Node& list) {
    if (!list.IsDefined() || !r_.ExpectSequence(list, "node_types")) return;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = "node_types[" + std::to_string(i) + "]";
      MapReader m(r_, list[i], path);
      NodeType t;
      if (auto name = r_.String(m.Required("name"), m.Field("name"))) t.name = *name;
      const YAML::Node gpu = m.Required("gpu");
      if (auto g = gpu.IsDefined() ? r_.String(gpu, m.Field("gpu")) : std::nullopt) {
        const GpuModel* model = FindGpuModel(*g);  // in any case
        if (model == nullptr) {
          std::vector<std::string> names;
          for (const auto& gm : BuiltinGpuModels()) names.push_back(gm.name);
          r_.Fail(gpu, m.Field("gpu"),
                  "unknown GPU model '" + *g + "'; expected one of: " + ListNames(names));
        }
        t.gpu = model != nullptr ? model->name : *g;
      }
      const YAML::Node gpn = m.Required("gpus_per_node");
      if (gpn.IsDefined()) {
        if (auto v = r_.PositiveInteger(gpn, m.Field("gpus_per_node"))) {
          if (*v > 64) r_.Fail(gpn, m.Field("gpus_per_node"), "expected at most 64 GPUs per node");
          t.gpus_per_node = static_cast<int>(*v);
        }
      }
      const YAML::Node npd = m.Get("nodes_per_domain");
      if (npd.IsDefined()) {
        if (auto v = r_.PositiveInteger(npd, m.Field("nodes_per_domain"))) {
          if (*v > 4096) {
            r_.Fail(npd, m.Field("nodes_per_domain"),
                    "expected at most 4096 nodes in one NVLink domain");
          } else {
            t.nodes_per_domain = static_cast<int>(*v);
          }
        }
      }
      // Bounded (docs/SPEC.md, "Limits") so that capacities in milli-cores and MiB, summed over
      // every node of the largest fleet, stay far inside 64 bits.
      t.cpu_cores = HostCapacity(m, "cpu_cores", kMaxNodeCpuCores, "cores");
      t.memory_gb = HostCapacity(m, "memory_gb", kMaxNodeMemoryGb, "GB");
      const YAML::Node nic = m.Get("nic_gb_s_per_gpu");
      if (nic.IsDefined())
        t.nic_gb_s_per_gpu = r_.PositiveNumber(nic, m.Field("nic_gb_s_per_gpu")).value_or(0);
      const YAML::Node power = m.Required("max_power_kw");
      if (power.IsDefined()) {
        if (auto v = r_.PositiveNumber(power, m.Field("max_power_kw"))) t.max_power_kw = *v;
      }
      m.Finish();
      if (FindNodeType(t.name) >= 0) {
        r_.Fail(list[i], m.Field("name"), "node type '" + t.name + "' is already defined");
      }
      spec_.node_types.push_back(std::move(t));
    }
  }

  // A node type's host CPU or memory: positive and at most `limit`; 0 (not modelled) if absent.
  double HostCapacity(MapReader& m, const std::string& key, double limit, const std::string& unit) {
    const YAML::Node n = m.Get(key);
    std::optional<double> v = n.IsDefined() ? r_.PositiveNumber(n, m.Field(key)) : std::nullopt;
    if (v && *v > limit) {
      r_.Fail(n, m.Field(key), "expected at most " + ShownNumber(limit) + " " + unit + " per node");
      return 0;
    }
    return v.value_or(0);
  }

  int FindNodeType(const std::string& name) const {
    for (size_t i = 0; i < spec_.node_types.size(); ++i) {
      if (spec_.node_types[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }

  std::string GroupName(MapReader& m, const std::string& fallback) {
    const YAML::Node n = m.Get("name");
    if (!n.IsDefined()) return fallback;
    return r_.String(n, m.Field("name")).value_or(fallback);
  }

  int Count(MapReader& m) {
    const YAML::Node n = m.Get("count");
    if (!n.IsDefined()) return 1;
    auto v = r_.PositiveInteger(n, m.Field("count"));
    if (v && *v > 10'000'000) {
      r_.Fail(n, m.Field("count"), "expected at most 10000000");
      return 1;
    }
    return v ? static_cast<int>(*v) : 1;
  }

  float Oversubscription(MapReader& m) {
    const YAML::Node n = m.Get("uplink_oversubscription");
    if (!n.IsDefined()) return 1;
    auto v = r_.PositiveNumber(n, m.Field("uplink_oversubscription"));
    if (v && *v < 1) {
      r_.Fail(n, m.Field("uplink_oversubscription"),
              "expected a ratio >= 1 (downlink over uplink bandwidth; 1 is non-blocking)");
    }
    return v ? static_cast<float>(*v) : 1.0f;
  }

  // Sibling groups must expand to distinct names, or paths would be ambiguous.
  void CheckUnique(const YAML::Node& at, const std::string& field, const std::string& name,
                   std::set<std::string>& names) {
    if (!names.insert(name).second) {
      r_.Fail(at, field, "duplicate name '" + name + "' among its siblings");
    }
  }

  std::vector<DomainGroupSpec> ParseDomains(const YAML::Node& list, const std::string& path) {
    std::vector<DomainGroupSpec> out;
    if (!r_.ExpectSequence(list, path)) return out;
    if (list.size() == 0) r_.Fail(list, path, "expected at least one entry");
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string p = path + "[" + std::to_string(i) + "]";
      MapReader m(r_, list[i], p);
      DomainGroupSpec d;
      d.name = GroupName(m, "domain");
      d.count = Count(m);
      d.uplink_oversubscription = Oversubscription(m);
      const YAML::Node type = m.Required("node_type");
      if (auto t = type.IsDefined() ? r_.String(type, m.Field("node_type")) : std::nullopt) {
        d.node_type = FindNodeType(*t);
        if (d.node_type < 0) {
          std::vector<std::string> known;
          for (const auto& nt : spec_.node_types) known.push_back(nt.name);
          r_.Fail(type, m.Field("node_type"),
                  "unknown node type '" + *t + "'; expected one of: " + ListNames(known) +
                      " (or define it under node_types)");
          d.node_type = 0;
        }
      }
      m.Finish();
      CheckUnique(list[i], m.Field("name"), d.name, names);
      out.push_back(std::move(d));
    }
    return out;
  }

  std::vector<LeafGroupSpec> ParseLeaves(const YAML::Node& list, const std::string& path) {
    std::vector<LeafGroupSpec> out;
    if (!r_.ExpectSequence(list, path)) return out;
    if (list.size() == 0) r_.Fail(list, path, "expected at least one entry");
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string p = path + "[" + std::to_string(i) + "]";
      MapReader m(r_, list[i], p);
      LeafGroupSpec l;
      l.name = GroupName(m, "leaf");
      l.count = Count(m);
      l.uplink_oversubscription = Oversubscription(m);
      const YAML::Node domains = m.Required("domains");
      m.Finish();
      if (domains.IsDefined()) l.domains = ParseDomains(domains, m.Field("domains"));
      CheckUnique(list[i], m.Field("name"), l.name, names);
      out.push_back(std::move(l));
    }
    return out;
  }

  // A pod holds leaves, or domains directly (then one implicit leaf).
  std::vector<PodGroupSpec> ParsePods(const YAML::Node& list, const std::string& path) {
    std::vector<PodGroupSpec> out;
    if (!r_.ExpectSequence(list, path)) return out;
    if (list.size() == 0) r_.Fail(list, path, "expected at least one entry");
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string p = path + "[" + std::to_string(i) + "]";
      MapReader m(r_, list[i], p);
      PodGroupSpec pod;
      pod.name = GroupName(m, "pod");
      pod.count = Count(m);
      pod.uplink_oversubscription = Oversubscription(m);
      pod.leaves = ParseLeafLevel(m, list[i]);
      m.Finish();
      CheckUnique(list[i], m.Field("name"), pod.name, names);
      out.push_back(std::move(pod));
    }
    return out;
  }

  std::vector<LeafGroupSpec> ParseLeafLevel(MapReader& m, const YAML::Node& at) {
    const YAML::Node leaves = m.Get("leaves");
    const YAML::Node domains = m.Get("domains");
    if (leaves.IsDefined() && domains.IsDefined()) {
      r_.Fail(at, m.Field("leaves"), "give either 'leaves' or 'domains', not both");
      return {};
    }
    if (leaves.IsDefined()) return ParseLeaves(leaves, m.Field("leaves"));
    if (domains.IsDefined()) {
      LeafGroupSpec implicit;
      implicit.domains = ParseDomains(domains, m.Field("domains"));
      return {implicit};
    }
    r_.Fail(at, m.Field("leaves"), "missing required field (or give 'domains' directly)");
    return {};
  }

  // A site's `pricing`, which its provider must be rented and offer.
  void ParsePricing(const YAML::Node& node, const std::string& field, Site& site) {
    const std::optional<std::string> name = r_.String(node, field);
    if (!name) return;
    if (*name == "on_demand") {
      site.pricing = Pricing::kOnDemand;
    } else if (*name == "reserved") {
      site.pricing = Pricing::kReserved;
    } else if (*name == "spot") {
      site.pricing = Pricing::kSpot;
    } else {
      r_.Fail(node, field, "expected on_demand, reserved or spot, got '" + *name + "'");
      return;
    }
    // With `providers:` itself in error (not a list, or an empty one) no provider exists to
    // judge the pricing against; that error is reported already.
    if (site.provider < 0 || static_cast<size_t>(site.provider) >= spec_.providers.size()) return;
    const Provider& provider = spec_.providers[static_cast<size_t>(site.provider)];
    if (provider.kind == ProviderKind::kOwned) {
      r_.Fail(node, field,
              "provider '" + provider.name +
                  "' is owned: its sites pay their electricity, not a "
                  "price (give the provider kind: cloud)");
    } else if (site.pricing == Pricing::kReserved && !provider.reserved &&
               !reserved_declared_.contains(provider.name)) {
      r_.Fail(node, field,
              "provider '" + provider.name + "' offers no reserved price (its 'reserved:')");
    } else if (site.pricing == Pricing::kSpot && !provider.spot &&
               !spot_declared_.contains(provider.name)) {
      r_.Fail(node, field, "provider '" + provider.name + "' offers no spot price (its 'spot:')");
    }
  }

  // A site's `elastic:`: rented on demand node by node, so its provider must be a cloud that
  // prices it.
  std::optional<ElasticRent> ParseElastic(const YAML::Node& node, const std::string& path,
                                          const Site& site) {
    MapReader m(r_, node, path);
    if (!m.valid()) return std::nullopt;
    ElasticRent out;
    for (const auto& [key, field] :
         {std::pair{"provisioning", &ElasticRent::provisioning},
          std::pair{"release_after_idle", &ElasticRent::release_after_idle},
          std::pair{"rent_when_wait_exceeds", &ElasticRent::rent_when_wait_exceeds}}) {
      const YAML::Node value = m.Get(key);
      if (!value.IsDefined()) continue;
      if (const std::optional<SimTime> t = r_.Duration(value, m.Field(key))) out.*field = *t;
    }
    m.Finish();
    if (site.provider < 0 || static_cast<size_t>(site.provider) >= spec_.providers.size()) {
      return out;  // the providers' own error is reported
    }
    const Provider& provider = spec_.providers[static_cast<size_t>(site.provider)];
    if (provider.kind != ProviderKind::kCloud || !provider.gpu_hour_usd) {
      r_.Fail(node, path,
              "elastic capacity is rented on demand: provider '" + provider.name +
                  "' needs kind: cloud and a gpu_hour_usd");
    } else if (site.pricing != Pricing::kOnDemand) {
      r_.Fail(node, path,
              std::string("elastic capacity is rented on demand, not ") +
                  PricingName(site.pricing) + " (leave out the site's pricing)");
    }
    return out;
  }

  void ParseSite(const YAML::Node& node, const std::string& path, std::set<std::string>& names) {
    MapReader m(r_, node, path);
    if (!m.valid()) return;
    SiteSpec s;
    if (auto name = r_.String(m.Required("name"), m.Field("name"))) s.site.name = *name;
    const YAML::Node provider = m.Get("provider");
    if (provider.IsDefined()) {
      if (auto p = r_.String(provider, m.Field("provider"))) {
        s.site.provider = -1;
        for (size_t i = 0; i < spec_.providers.size(); ++i) {
          if (spec_.providers[i].name == *p) s.site.provider = static_cast<int>(i);
        }
        if (s.site.provider < 0) {
          std::vector<std::string> known;
          for (const auto& pr : spec_.providers) known.push_back(pr.name);
          r_.Fail(provider, m.Field("provider"),
                  "unknown provider '" + *p + "'; declared providers: " + ListNames(known));
          s.site.provider = 0;
        }
      }
    }
    const YAML::Node pricing = m.Get("pricing");
    if (pricing.IsDefined()) ParsePricing(pricing, m.Field("pricing"), s.site);
    const YAML::Node elastic = m.Get("elastic");
    if (elastic.IsDefined()) s.site.elastic = ParseElastic(elastic, m.Field("elastic"), s.site);
    const YAML::Node location = m.Get("location");
    if (location.IsDefined())
      s.site.location = r_.String(location, m.Field("location")).value_or("");
    const YAML::Node region = m.Get("region");
    if (region.IsDefined()) s.site.region = r_.String(region, m.Field("region")).value_or("");
    const YAML::Node budget = m.Required("power_budget_mw");
    if (budget.IsDefined())
      s.site.power_budget_mw = r_.PositiveNumber(budget, m.Field("power_budget_mw")).value_or(0);
    const YAML::Node floor = m.Get("gpu_power_cap_floor");
    if (floor.IsDefined()) {
      std::optional<double> f = r_.PositiveNumber(floor, m.Field("gpu_power_cap_floor"));
      if (f && (*f < kGpuIdleFraction || *f > 1)) {
        r_.Fail(floor, m.Field("gpu_power_cap_floor"),
                "expected a fraction of TDP between " + Approx(kGpuIdleFraction) + " and 1");
      } else if (f) {
        s.site.gpu_power_cap_floor = *f;
      }
    }
    s.uplink_oversubscription = Oversubscription(m);
    ParseCooling(m.Get("cooling"), m.Field("cooling"), s.site.cooling);
    const YAML::Node tariff = m.Get("tariff_usd_per_mwh");
    if (tariff.IsDefined())
      s.site.tariff_usd_per_mwh = r_.NonNegativeNumber(tariff, m.Field("tariff_usd_per_mwh"));
    ParseClimate(m.Get("climate"), m.Field("climate"), s.site);
    const YAML::Node storage = m.Get("storage_gb_s");
    if (storage.IsDefined())
      s.site.storage_gb_s = r_.PositiveNumber(storage, m.Field("storage_gb_s")).value_or(2000);
    ParseCarbon(m.Get("carbon_g_per_kwh"), m.Field("carbon_g_per_kwh"), s.site);

    const YAML::Node pods = m.Get("pods");
    const YAML::Node leaves = m.Get("leaves");
    const YAML::Node domains = m.Get("domains");
    const int given = pods.IsDefined() + leaves.IsDefined() + domains.IsDefined();
    if (given != 1) {
      r_.Fail(node, m.Field("pods"),
              given == 0 ? "missing required field (or give 'leaves' or 'domains' directly)"
                         : "give exactly one of 'pods', 'leaves' or 'domains'");
    } else if (pods.IsDefined()) {
      s.pods = ParsePods(pods, m.Field("pods"));
    } else {
      PodGroupSpec implicit;
      implicit.leaves = ParseLeafLevel(m, node);
      s.pods.push_back(std::move(implicit));
    }
    m.Finish();
    if (!s.site.name.empty()) CheckUnique(node, m.Field("name"), s.site.name, names);
    // Counts multiply: refuse a site that would expand beyond what fits in memory here, where
    // the error can still point at the site, rather than run out of memory later.
    const double size = CountTopologyNodes(s, spec_.node_types);
    total_topology_nodes_ += size;
    if (size > kMaxTopologyNodes) {
      r_.Fail(node, path,
              "expands to " + Approx(size) +
                  " topology nodes, more than the 20,000,000 a fleet may have; "
                  "check the `count` values of its pods, leaves and domains");
    } else if (total_topology_nodes_ > kMaxTopologyNodes) {
      r_.Fail(node, path,
              "brings the fleet to " + Approx(total_topology_nodes_) +
                  " topology nodes, more than the 20,000,000 a fleet may have; check the `count` "
                  "values");
    } else {
      // The capacity index keeps a count per topology node and GPU model.
      for (const auto& p : s.pods) {
        for (const auto& l : p.leaves) {
          for (const auto& d : l.domains)
            models_used_.insert(spec_.node_types[static_cast<size_t>(d.node_type)].gpu);
        }
      }
      const double models = static_cast<double>(std::max<size_t>(1, models_used_.size()));
      if (total_topology_nodes_ * models > kMaxTopologyNodesTimesModels) {
        r_.Fail(node, path,
                "brings the fleet to " + Approx(total_topology_nodes_) + " topology nodes with " +
                    std::to_string(models_used_.size()) +
                    " GPU models; topology nodes x GPU models may be at most 100,000,000 (the "
                    "capacity index keeps a count for each)");
      }
    }
    spec_.sites.push_back(std::move(s));
  }

  // A count for people: grouped digits ("14,000,001"), or "about 2.0 x 10^21" when it is far
  // too large for digits to help.
  static std::string Approx(double n) {
    if (n < 1e15) return Grouped(static_cast<std::int64_t>(n + 0.5));
    const int exponent = static_cast<int>(std::floor(std::log10(n)));
    char buf[48];
    std::snprintf(buf, sizeof buf, "about %.1f x 10^%d", n / std::pow(10.0, exponent), exponent);
    return buf;
  }

  // `carbon_g_per_kwh: 380`, or `{file: hourly.csv}` for an hourly grid intensity.
  void ParseCarbon(const YAML::Node& node, const std::string& path, Site& site) {
    if (!node.IsDefined()) return;
    if (node.IsScalar()) {
      site.carbon_g_per_kwh = r_.NonNegativeNumber(node, path);
      return;
    }
    MapReader m(r_, node, path);
    const YAML::Node file = m.Required("file");
    m.Finish();
    auto name = file.IsDefined() ? r_.String(file, m.Field("file")) : std::nullopt;
    if (!name) return;
    Result<std::vector<double>> hours =
        ReadHourlyCsv(r_.RelativeToFile(*name), 0, 5000, "a grid carbon intensity in gCO2/kWh");
    if (!hours.ok()) {
      r_.Fail(file, m.Field("file"), hours.message());
      return;
    }
    double sum = 0;
    for (double g : hours.value()) sum += g;
    site.carbon_g_per_kwh = sum / static_cast<double>(hours.value().size());  // the mean, for show
    site.hourly_carbon_g_per_kwh = std::move(hours).value();
  }

  // `climate: abilene-tx`, or `climate: {file: hourly.csv}` (relative to the fleet file).
  void ParseClimate(const YAML::Node& node, const std::string& path, Site& site) {
    if (!node.IsDefined()) return;
    Result<Climate> climate = Error{""};
    if (node.IsScalar()) {
      climate = Climate::Named(node.Scalar());
    } else {
      MapReader m(r_, node, path);
      const YAML::Node file = m.Required("file");
      m.Finish();
      auto name = r_.String(file, m.Field("file"));
      if (!name) return;
      const std::string full = r_.RelativeToFile(*name);
      Result<std::vector<double>> hours =
          ReadHourlyCsv(full, -90, 60, "an outdoor temperature in degrees C");
      if (hours.ok()) {
        climate = Climate(full, std::move(hours).value());
      } else {
        climate = hours.error();
      }
    }
    if (!climate.ok()) {
      r_.Fail(node, path, climate.message());
      return;
    }
    Result<CoolingPlant> plant = CoolingPlant::Calibrate(site.cooling, climate.value());
    if (!plant.ok()) {
      r_.Fail(node, path, plant.message());
      return;
    }
    site.climate = climate.value().name();
    site.hourly_temperature_c = climate.value().hourly();
  }

  void ParseCooling(const YAML::Node& node, const std::string& path, Cooling& c) {
    if (!node.IsDefined()) return;
    MapReader m(r_, node, path);
    const YAML::Node kind = m.Get("kind");
    if (kind.IsDefined()) {
      auto k = r_.String(kind, m.Field("kind"));
      if (k && *k == "liquid") {
        c.kind = Cooling::Kind::kLiquid;
      } else if (k && *k == "air") {
        c.kind = Cooling::Kind::kAir;
      } else if (k) {
        r_.Fail(kind, m.Field("kind"), "expected 'air' or 'liquid', got '" + *k + "'");
      }
    }
    const YAML::Node pue = m.Get("design_pue");
    if (pue.IsDefined()) {
      auto v = r_.Number(pue, m.Field("design_pue"));
      if (v && *v < 1) r_.Fail(pue, m.Field("design_pue"), "expected a PUE >= 1");
      if (v) c.design_pue = *v;
    }
    const YAML::Node fc = m.Get("free_cooling_below_c");
    if (fc.IsDefined())
      c.free_cooling_below_c =
          r_.Number(fc, m.Field("free_cooling_below_c")).value_or(c.free_cooling_below_c);
    m.Finish();
  }

  SpecReader& r_;
  FleetSpec spec_;
  std::set<std::string> reserved_declared_, spot_declared_;  // providers' names
  double total_topology_nodes_ = 0;
  std::set<std::string> models_used_;  // GPU models of the domains read so far
};

// Keeps the sites named in `keep` (every one when null), in the spec's order, and the links
// between them. `original`: each kept site's index in the spec.
void KeepSites(FleetSpec& spec, const std::vector<std::string>* keep,
               std::vector<size_t>& original) {
  original.clear();
  if (keep == nullptr) {
    for (size_t i = 0; i < spec.sites.size(); ++i) original.push_back(i);
    return;
  }
  std::vector<int> index_of(spec.sites.size(), -1);
  std::vector<SiteSpec> kept;
  for (size_t i = 0; i < spec.sites.size(); ++i) {
    if (std::find(keep->begin(), keep->end(), spec.sites[i].site.name) == keep->end()) continue;
    index_of[i] = static_cast<int>(kept.size());
    original.push_back(i);
    kept.push_back(std::move(spec.sites[i]));
  }
  spec.sites = std::move(kept);
  std::vector<SiteLink> links;
  for (SiteLink l : spec.links) {
    const int a = index_of[static_cast<size_t>(l.a)], b = index_of[static_cast<size_t>(l.b)];
    if (a < 0 || b < 0) continue;
    l.a = a;
    l.b = b;  // still a < b: the kept sites keep their order
    links.push_back(l);
  }
  spec.links = std::move(links);
}

Result<Fleet> BuildFleet(SpecReader& r, const YAML::Node& root,
                         const std::vector<std::string>* keep = nullptr) {
  if (!r.ok()) return Error{r.Errors()};
  FleetSpec spec = FleetParser(r).Parse(root);
  if (!r.ok()) return Error{r.Errors()};
  std::vector<size_t> original;
  KeepSites(spec, keep, original);
  if (spec.sites.empty()) return Error{r.file() + ": none of its sites is kept"};
  Result<Fleet> fleet = Fleet::Build(spec);
  if (!fleet.ok()) return Error{r.file() + ": " + fleet.message()};
  // The budget is a hard limit and idle nodes draw power: a site must at least power them idle.
  const std::vector<double> idle = SiteIdlePowerW(fleet.value());
  for (size_t i = 0; i < idle.size(); ++i) {
    const Site& site = fleet.value().sites()[i];
    if (idle[i] > site.power_budget_mw * 1e6) {
      char what[160];
      std::snprintf(what, sizeof what,
                    "its nodes draw %.3f MW when idle, above the budget of %.3f MW; expected a "
                    "budget of at least the idle draw",
                    idle[i] / 1e6, site.power_budget_mw);
      r.Fail(root["sites"][original[i]]["power_budget_mw"],
             "sites[" + std::to_string(original[i]) + "].power_budget_mw", what);
    }
  }
  if (!r.ok()) return Error{r.Errors()};
  return fleet;
}

}  // namespace

Result<Fleet> LoadFleet(const std::string& file) {
  SpecReader r(file);
  const YAML::Node root = r.Load();
  return BuildFleet(r, root);
}

Result<Fleet> LoadFleetSites(const std::string& file, const std::vector<std::string>& sites) {
  SpecReader r(file);
  const YAML::Node root = r.Load();
  return BuildFleet(r, root, &sites);
}

Result<Fleet> ParseFleet(const std::string& yaml, const std::string& name) {
  SpecReader r(name);
  const YAML::Node root = r.LoadString(yaml);
  return BuildFleet(r, root);
}

}  // namespace gpufleet
