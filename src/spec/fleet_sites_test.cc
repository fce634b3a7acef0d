// LoadFleetSites: one capacity option's part of a fleet file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "spec/specs.h"

namespace gpufleet {
namespace {

std::string WriteFleet(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) / name).string();
  std::ofstream(path) << text;
  return path;
}

constexpr const char* kThreeSites =
    "sites:\n"
    "  - {name: a, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"
    "  - {name: b, power_budget_mw: 1, domains: [{count: 2, node_type: dgx-h100}]}\n"
    "  - {name: c, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"
    "links:\n"
    "  - {between: [a, b], gb_s: 10, latency: 10ms}\n"
    "  - {between: [b, c], gb_s: 20, latency: 20ms}\n"
    "  - {between: [a, c], gb_s: 30, latency: 30ms}\n";

TEST(FleetSites, KeepsTheNamedSitesInTheFilesOrderAndTheLinksBetweenThem) {
  const std::string file = WriteFleet("fleet_sites_three.yaml", kThreeSites);
  Result<Fleet> part = LoadFleetSites(file, {"c", "b"});
  ASSERT_TRUE(part.ok()) << part.message();
  const Fleet& f = part.value();
  ASSERT_EQ(f.sites().size(), 2u);
  EXPECT_EQ(f.sites()[0].name, "b");
  EXPECT_EQ(f.sites()[1].name, "c");
  EXPECT_EQ(f.total_gpus(), 24);
  // Only b - c stays, now between sites 0 and 1.
  ASSERT_EQ(f.links().size(), 1u);
  EXPECT_EQ(f.links()[0].a, 0);
  EXPECT_EQ(f.links()[0].b, 1);
  EXPECT_DOUBLE_EQ(f.links()[0].gb_s, 20);
  EXPECT_FALSE(LoadFleetSites(file, {"nowhere"}).ok());
}

TEST(FleetSites, AnErrorOfAKeptSiteNamesItsPlaceInTheFile) {
  // Site c's budget is below its node's idle draw: the error points at sites[2], as in the file.
  const std::string file =
      WriteFleet("fleet_sites_budget.yaml",
                 "sites:\n"
                 "  - {name: a, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"
                 "  - {name: b, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"
                 "  - {name: c, power_budget_mw: 0.001, domains: [{node_type: dgx-h100}]}\n");
  Result<Fleet> part = LoadFleetSites(file, {"c"});
  ASSERT_FALSE(part.ok());
  EXPECT_NE(part.message().find("fleet_sites_budget.yaml:4:"), std::string::npos) << part.message();
  EXPECT_NE(part.message().find("sites[2].power_budget_mw"), std::string::npos) << part.message();
}

}  // namespace
}  // namespace gpufleet
