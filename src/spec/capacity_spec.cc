#include "spec/capacity_spec.h"

#include <algorithm>
#include <set>

#include "model/catalog.h"
#include "spec/specs.h"
#include "spec/yaml_reader.h"

namespace gpufleet {
namespace {

// The names a list field gives, each a string; nullopt after an error.
std::optional<std::vector<std::string>> Names(SpecReader& r, const YAML::Node& n,
                                              const std::string& field) {
  if (!r.ExpectSequence(n, field)) return std::nullopt;
  std::vector<std::string> out;
  for (size_t i = 0; i < n.size(); ++i) {
    const std::optional<std::string> s = r.String(n[i], field + "[" + std::to_string(i) + "]");
    if (!s) return std::nullopt;
    out.push_back(*s);
  }
  return out;
}

// Checks each name of `given` (the list at `n`) against `known`; an unknown one is an error that
// lists the known.
bool AllKnown(SpecReader& r, const YAML::Node& n, const std::string& field,
              const std::vector<std::string>& given, const std::vector<std::string>& known,
              const std::string& what) {
  bool ok = true;
  for (size_t i = 0; i < given.size(); ++i) {
    if (std::find(known.begin(), known.end(), given[i]) != known.end()) continue;
    r.Fail(
        n[i], field + "[" + std::to_string(i) + "]",
        "the fleet has no " + what + " '" + given[i] + "'; expected one of: " + ListNames(known));
    ok = false;
  }
  return ok;
}

}  // namespace

Result<CapacityPlanSpec> LoadCapacityPlan(const std::string& file) {
  SpecReader r(file);
  const YAML::Node root = r.Load();
  if (!r.ok()) return Error{r.Errors()};
  CapacityPlanSpec plan;
  MapReader top(r, root, "");
  if (!top.valid()) return Error{r.Errors()};
  const YAML::Node fleet_node = top.Required("fleet");
  const YAML::Node options = top.Required("options");
  const YAML::Node risk = top.Get("risk");
  top.Finish();
  std::optional<Fleet> fleet;
  if (const std::optional<std::string> path = r.String(fleet_node, "fleet")) {
    plan.fleet = r.RelativeToFile(*path);
    Result<Fleet> loaded = LoadFleet(plan.fleet);
    if (loaded.ok()) {
      fleet.emplace(std::move(loaded).value());
      for (const Provider& provider : fleet->providers())
        plan.fleet_providers.push_back(provider.name);
      for (const Site& s : fleet->sites()) plan.fleet_sites.push_back(s.name);
    } else {
      r.Fail(fleet_node, "fleet", "the fleet file does not load:\n" + loaded.message());
    }
  }
  if (risk.IsDefined()) {
    MapReader m(r, risk, "risk");
    CapacityRisk k;
    const YAML::Node at = m.Required("at");
    k.at = r.Duration(at, m.Field("at")).value_or(0);
    k.at_loc = r.Loc(at, m.Field("at"));
    k.duration = r.PositiveDuration(m.Required("for"), m.Field("for")).value_or(1);
    m.Finish();
    plan.risk = k;
  }
  if (options.IsDefined() && r.ExpectSequence(options, "options")) {
    if (options.size() == 0) r.Fail(options, "options", "expected at least one option");
    std::set<std::string> names;
    for (size_t i = 0; i < options.size(); ++i) {
      const std::string path = "options[" + std::to_string(i) + "]";
      MapReader m(r, options[i], path);
      if (!m.valid()) continue;
      CapacityOption o;
      const YAML::Node name = m.Required("name");
      o.name = r.String(name, m.Field("name")).value_or("");
      if (!o.name.empty() && !names.insert(o.name).second)
        r.Fail(name, m.Field("name"), "duplicate option '" + o.name + "'");
      const YAML::Node providers = m.Get("providers");
      const YAML::Node sites = m.Get("sites");
      const YAML::Node spot = m.Get("spot");
      m.Finish();
      if (!providers.IsDefined() && !sites.IsDefined()) {
        r.Fail(options[i], m.Field("providers"),
               "an option needs 'providers', 'sites' or both: the capacity it uses");
        continue;
      }
      bool with_spot = true;
      if (spot.IsDefined()) {
        const std::optional<std::string> s = r.String(spot, m.Field("spot"));
        if (s && *s != "true" && *s != "false") {
          r.Fail(spot, m.Field("spot"), "expected true or false, got '" + *s + "'");
        } else if (s) {
          with_spot = *s == "true";
        }
      }
      std::optional<std::vector<std::string>> by_provider, by_site;
      if (providers.IsDefined()) by_provider = Names(r, providers, m.Field("providers"));
      if (sites.IsDefined()) by_site = Names(r, sites, m.Field("sites"));
      if (!fleet) continue;
      bool known = true;
      if (by_provider)
        known &= AllKnown(r, providers, m.Field("providers"), *by_provider, plan.fleet_providers,
                          "provider");
      if (by_site)
        known &= AllKnown(r, sites, m.Field("sites"), *by_site, plan.fleet_sites, "site");
      if (!known) continue;
      for (const Site& s : fleet->sites()) {
        const std::string& provider = fleet->providers()[static_cast<size_t>(s.provider)].name;
        // `spot: false` leaves out the spot sites its providers bring; a site named is kept.
        const bool named = by_site && std::count(by_site->begin(), by_site->end(), s.name) > 0;
        const bool by_its_provider =
            by_provider && std::count(by_provider->begin(), by_provider->end(), provider) > 0 &&
            (with_spot || s.pricing != Pricing::kSpot);
        if (!named && !by_its_provider) continue;
        o.sites.push_back(s.name);
        if (std::count(o.providers.begin(), o.providers.end(), provider) == 0)
          o.providers.push_back(provider);
      }
      if (o.sites.empty()) {
        r.Fail(options[i], path,
               "the option keeps no site: name some in 'sites', or providers with sites that "
               "are not all spot (with spot: false)");
        continue;
      }
      plan.options.push_back(std::move(o));
    }
  }
  if (!r.ok()) return Error{r.Errors()};
  return plan;
}

}  // namespace gpufleet
