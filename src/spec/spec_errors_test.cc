// Spec errors: every class of mistake in a fleet or workload spec must be reported as an error
// that starts with "file:line:column: ", names the field as a path and says what was expected.
// Line and column numbers below were counted by hand from the YAML text (both 1-based); each YAML
// line carries its number in a comment, and the column of the offending token is noted.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "spec/spec_test_support.h"
#include "spec/specs.h"
#include "workload/workload.h"

namespace gpufleet {
namespace {

using namespace spec_test;  // NOLINT: the helpers read as part of each check

// The smallest valid fleet: one site with one DGX H100 (8 GPUs).
const std::string kFleet =
    "sites:\n"                        // 1
    "  - name: lab\n"                 // 2: the site mapping starts at column 5
    "    power_budget_mw: 1\n"        // 3: value at column 22
    "    domains:\n"                  // 4
    "      - node_type: dgx-h100\n";  // 5: mapping at column 9, value at column 20

// Two named nodes for binding: paths lab/dgx-1 and lab/dgx-2.
const std::string kBindFleet =
    "sites:\n"
    "  - name: lab\n"
    "    power_budget_mw: 1\n"
    "    domains:\n"
    "      - {name: dgx, count: 2, node_type: dgx-h100}\n";

// The smallest valid workload with one explicit job.
const std::string kJobs =
    "jobs:\n"              // 1
    "  - name: a\n"        // 2: the job mapping starts at column 5
    "    gpus: 1\n"        // 3: value at column 11
    "    duration: 1h\n";  // 4: value at column 15

// The smallest valid workload with one generator.
const std::string kGen =
    "generators:\n"                            // 1
    "  - name: g\n"                            // 2: the generator mapping starts at column 5
    "    count: 10\n"                          // 3: value at column 12
    "    arrivals: {mean_interarrival: 1m}\n"  // 4: '{' at column 15, value at column 35
    "    gpus: 1\n"                            // 5: value at column 11
    "    duration: 1h\n";                      // 6: value at column 15

// ---------------------------------------------------------------------------------------------
// Valid specs parse.

TEST(SpecErrors, MinimalFleetParses) {
  Result<Fleet> f = F(kFleet);
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f.value().total_gpus(), 8);
  EXPECT_EQ(f.value().num_nodes(), 1);
  ASSERT_EQ(f.value().sites().size(), 1u);
  EXPECT_EQ(f.value().sites()[0].name, "lab");
}

TEST(SpecErrors, MinimalWorkloadsParse) {
  Result<WorkloadSpec> jobs = W(kJobs);
  ASSERT_TRUE(jobs.ok()) << jobs.message();
  EXPECT_EQ(jobs.value().jobs.size(), 1u);
  EXPECT_EQ(jobs.value().jobs[0].job.gpus, 1);
  Result<WorkloadSpec> gen = W(kGen);
  ASSERT_TRUE(gen.ok()) << gen.message();
  EXPECT_EQ(gen.value().generators.size(), 1u);
  Result<BoundWorkload> bound = Bind(kFleet, kGen);
  EXPECT_TRUE(bound.ok()) << bound.message();
}

TEST(SpecErrors, ValidReferencesBind) {
  const std::string w =
      "tenants:\n"
      "  - name: research\n"
      "jobs:\n"
      "  - {gpus: 1, duration: 1h, tenant: research, gpu_model: h100}\n"
      "failures:\n"
      "  - {at: 1h, target: lab/dgx-2, repair_after: 30m}\n";
  Result<BoundWorkload> b = Bind(kBindFleet, w);
  ASSERT_TRUE(b.ok()) << b.message();
  EXPECT_EQ(b.value().failures.size(), 1u);
}

TEST(SpecErrors, BundledExamplesParse) {
  const std::string dir = std::string(GPUFLEET_SOURCE_DIR) + "/examples/";
  Result<Fleet> f = LoadFleet(dir + "fleets/tiny.yaml");
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f.value().total_gpus(), 16);
  Result<WorkloadSpec> w = LoadWorkload(dir + "workloads/tiny.yaml");
  ASSERT_TRUE(w.ok()) << w.message();
  EXPECT_TRUE(BindWorkload(w.value(), f.value(), 1).ok());
  Result<WorkloadSpec> big = LoadWorkload(dir + "workloads/stargate-1m.yaml");
  EXPECT_TRUE(big.ok()) << big.message();
  // Every fleet with every workload written for it.
  const std::pair<const char*, const char*> pairs[] = {
      {"stargate-abilene", "stargate-abilene"},
      {"stargate-abilene-capped", "stargate-abilene"},
      {"multicloud", "multicloud"},
      {"meta-24k", "llama3-405b"},
      {"stargate-abilene", "stargate-1m"},
      {"stargate-4.5gw", "stargate-4m"}};
  for (const auto& [fleet, workload] : pairs) {
    Result<Fleet> fl = LoadFleet(dir + "fleets/" + fleet + ".yaml");
    ASSERT_TRUE(fl.ok()) << fl.message();
    Result<WorkloadSpec> wl = LoadWorkload(dir + "workloads/" + workload + ".yaml");
    ASSERT_TRUE(wl.ok()) << wl.message();
    Result<BoundWorkload> b = BindWorkload(wl.value(), fl.value(), 1);
    EXPECT_TRUE(b.ok()) << fleet << " x " << workload << ": " << b.message();
  }
  EXPECT_EQ(LoadFleet(dir + "fleets/meta-24k.yaml").value().total_gpus(), 24576);
  // Four campuses of 8 x 10 x 70 GB200 NVL72 racks.
  EXPECT_EQ(LoadFleet(dir + "fleets/stargate-4.5gw.yaml").value().total_gpus(), 4 * 403200);
}

// ---------------------------------------------------------------------------------------------
// YAML syntax errors.

TEST(SpecErrors, FleetYamlSyntaxError) {
  // Line 4: "    domains: [{node_type: dgx-h100}}" — the stray '}' is at column 36.
  const std::string y =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains: [{node_type: dgx-h100}}\n";
  EXPECT_SPEC_ERROR(F(y), "f.yaml:4:36:", "YAML syntax error", "flow");
  // Line 3: "    power_budget_mw: 1: 2" — the second ':' is at column 23.
  const std::string y2 =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1: 2\n";
  EXPECT_SPEC_ERROR(F(y2), "f.yaml:3:23:", "YAML syntax error", "map value");
}

TEST(SpecErrors, WorkloadYamlSyntaxError) {
  // Line 2: "  - {name: a, gpus: 1, duration: 1h]" — ']' closes a '{' at column 36.
  const std::string y =
      "jobs:\n"
      "  - {name: a, gpus: 1, duration: 1h]\n";
  EXPECT_SPEC_ERROR(W(y), "w.yaml:2:36:", "YAML syntax error", "");
  // A tab in the indentation of line 3.
  const std::string y2 =
      "jobs:\n"
      "  - name: a\n"
      "\tgpus: 1\n";
  EXPECT_SPEC_ERROR(W(y2), "w.yaml:3:1:", "YAML syntax error", "tab");
}

TEST(SpecErrors, TopLevelMustBeAMapping) {
  EXPECT_SPEC_ERROR(F(""), "f.yaml:1:1:", "", "expected a mapping of top-level fields");
  EXPECT_SPEC_ERROR(F("- a\n- b\n"), "f.yaml:1:1:", "", "got a list");
  EXPECT_SPEC_ERROR(W("just words\n"), "w.yaml:1:1:", "", "got 'just words'");
  EXPECT_SPEC_ERROR(W("- jobs\n"), "w.yaml:1:1:", "", "got a list");
}

// ---------------------------------------------------------------------------------------------
// Unknown keys, at the top level and nested.

TEST(SpecErrors, FleetUnknownKeys) {
  EXPECT_SPEC_ERROR(F(kFleet + "colour: blue\n"),  // line 6, column 1
                    "f.yaml:6:1:", "'colour'",
                    "unknown key; expected one of: providers, node_types, sites");
  // In a site.
  const std::string site =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    colour: blue\n"  // 4: key at column 5
      "    domains:\n"
      "      - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F(site), "f.yaml:4:5:", "sites[0].colour", "unknown key; expected one of:");
  EXPECT_SPEC_ERROR(F(site), "f.yaml:4:5:", "sites[0].colour", "power_budget_mw");
  // In a pod.
  const std::string pod =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    pods:\n"
      "      - name: p\n"
      "        colour: blue\n"  // 6: key at column 9
      "        domains:\n"
      "          - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F(pod), "f.yaml:6:9:", "sites[0].pods[0].colour",
                    "unknown key; expected one of:");
  // In a domain: "      - {node_type: dgx-h100, colour: blue}" — 'colour' at column 31.
  const std::string domain =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains:\n"
      "      - {node_type: dgx-h100, colour: blue}\n";
  EXPECT_SPEC_ERROR(F(domain), "f.yaml:5:31:", "sites[0].domains[0].colour", "node_type");
  // In cooling: "    cooling: {kind: liquid, pue: 1.1}" — 'pue' at column 29.
  const std::string cooling =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    cooling: {kind: liquid, pue: 1.1}\n"
      "    domains:\n"
      "      - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F(cooling), "f.yaml:4:29:", "sites[0].cooling.pue", "design_pue");
  // "    climate: atlantis" - the value at column 14.
  const std::string climate =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    climate: atlantis\n"
      "    domains:\n"
      "      - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F(climate), "f.yaml:4:14:", "sites[0].climate", "abilene-tx");
  // A design PUE of 1.02 leaves nothing for the chillers once the 0.03 of distribution losses is
  // paid.
  const std::string pue =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    cooling: {design_pue: 1.02}\n"
      "    climate: lulea-se\n"
      "    domains:\n"
      "      - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F(pue), "f.yaml:5:14:", "sites[0].climate", "design PUE above");
  // In a provider: "  - {name: aws, kind: cloud, price: 2}" — 'price' at column 30.
  const std::string provider =
      "providers:\n"
      "  - {name: aws, kind: cloud, price: 2}\n" +
      kFleet;
  EXPECT_SPEC_ERROR(F(provider), "f.yaml:2:30:", "providers[0].price", "gpu_hour_usd");
  // A price on owned capacity (the default kind) would be read and never billed: refused.
  // "  - {name: lab, gpu_hour_usd: 2}": the value at column 31.
  const std::string owned_price = "providers:\n  - {name: lab, gpu_hour_usd: 2}\n" + kFleet;
  EXPECT_SPEC_ERROR(F(owned_price), "f.yaml:2:31:", "providers[0].gpu_hour_usd", "kind: cloud");
  // In a node type.
  const std::string node_type =
      "node_types:\n"
      "  - name: x\n"
      "    gpu: h100\n"
      "    gpus_per_node: 8\n"
      "    max_power_kw: 10\n"
      "    tdp: 700\n"  // 6: key at column 5
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains: [{node_type: x}]\n";
  EXPECT_SPEC_ERROR(F(node_type), "f.yaml:6:5:", "node_types[0].tdp", "max_power_kw");
}

TEST(SpecErrors, WorkloadUnknownKeys) {
  EXPECT_SPEC_ERROR(W(kJobs + "tenant: x\n"),  // line 5, column 1
                    "w.yaml:5:1:", "'tenant'",
                    "unknown key; expected one of: tenants, jobs, generators, failures");
  // In a job.
  EXPECT_SPEC_ERROR(W(kJobs + "    gpu: h100\n"), "w.yaml:5:5:", "jobs[0].gpu", "gpu_model");
  // In a generator.
  EXPECT_SPEC_ERROR(W(kGen + "    rate: 5\n"), "w.yaml:7:5:", "generators[0].rate",
                    "unknown key; expected one of:");
  // In arrivals: "    arrivals: {mean_interarrival: 1m, burst: 2}" — 'burst' at column 39.
  const std::string arrivals =
      "generators:\n"
      "  - name: g\n"
      "    count: 10\n"
      "    arrivals: {mean_interarrival: 1m, burst: 2}\n"
      "    gpus: 1\n"
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(arrivals), "w.yaml:4:39:", "generators[0].arrivals.burst", "rate_per_hour");
  // In a distribution: "    gpus: {dist: choice, values: [1, 2], weight: [1, 1]}" — 'weight' at
  // column 42.
  const std::string dist =
      "generators:\n"
      "  - name: g\n"
      "    count: 10\n"
      "    arrivals: {mean_interarrival: 1m}\n"
      "    gpus: {dist: choice, values: [1, 2], weight: [1, 1]}\n"
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(dist), "w.yaml:5:42:", "generators[0].gpus.weight", "weights");
  // In a topology rule: "    topology: {by_gpus: [{upto: 8, topology: nvlink}]}" — 'upto' at
  // column 27.
  EXPECT_SPEC_ERROR(W(kGen + "    topology: {by_gpus: [{upto: 8, topology: nvlink}]}\n"),
                    "w.yaml:7:27:", "generators[0].topology.by_gpus[0].upto", "up_to");
  // In a tenant: "  - {name: a, share: 2}" — 'share' at column 15.
  EXPECT_SPEC_ERROR(W("tenants:\n  - {name: a, share: 2}\n" + kJobs),
                    "w.yaml:2:15:", "tenants[0].share", "weight");
  // In a failure.
  const std::string failure = kJobs +
                              "failures:\n"        // 5
                              "  - at: 1h\n"       // 6
                              "    target: lab\n"  // 7
                              "    repair: 1h\n";  // 8: key at column 5
  EXPECT_SPEC_ERROR(W(failure), "w.yaml:8:5:", "failures[0].repair", "repair_after");
}

// ---------------------------------------------------------------------------------------------
// Wrong types.

TEST(SpecErrors, FleetWrongTypes) {
  // A string where a number is expected.
  const std::string budget =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: lots\n"  // 3: value at column 22
      "    domains:\n"
      "      - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F(budget), "f.yaml:3:22:", "sites[0].power_budget_mw",
                    "expected a number, got 'lots'");
  // A string where an integer is expected: "      - {node_type: dgx-h100, count: two}" — 'two' at
  // column 38.
  const std::string count =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains:\n"
      "      - {node_type: dgx-h100, count: two}\n";
  EXPECT_SPEC_ERROR(F(count), "f.yaml:5:38:", "sites[0].domains[0].count",
                    "expected an integer, got 'two'");
  // A list where a mapping is expected: "    cooling: [liquid]" — '[' at column 14.
  const std::string cooling =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    cooling: [liquid]\n"
      "    domains:\n"
      "      - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F(cooling), "f.yaml:4:14:", "sites[0].cooling",
                    "expected a mapping of fields, got a list");
  // A scalar where a mapping is expected.
  EXPECT_SPEC_ERROR(F("sites:\n  - lab\n"), "f.yaml:2:5:", "sites[0]",
                    "expected a mapping of fields, got 'lab'");
  // A mapping where a list is expected: the mapping under 'sites' starts at line 2, column 3.
  const std::string sites =
      "sites:\n"
      "  name: lab\n"
      "  power_budget_mw: 1\n";
  EXPECT_SPEC_ERROR(F(sites), "f.yaml:2:3:", "'sites'", "expected a list, got a mapping");
  // "node_types: {name: x}" — '{' at column 13.
  EXPECT_SPEC_ERROR(F("node_types: {name: x}\n" + kFleet), "f.yaml:1:13:", "'node_types'",
                    "expected a list, got a mapping");
  // "      - node_type: [dgx-h100]" — '[' at column 20.
  const std::string type_list =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains:\n"
      "      - node_type: [dgx-h100]\n";
  EXPECT_SPEC_ERROR(F(type_list), "f.yaml:5:20:", "sites[0].domains[0].node_type",
                    "expected a non-empty string, got a list");
}

TEST(SpecErrors, WorkloadWrongTypes) {
  const std::string words =
      "jobs:\n"
      "  - name: a\n"
      "    gpus: eight\n"  // 3: value at column 11
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(words), "w.yaml:3:11:", "jobs[0].gpus", "expected an integer, got 'eight'");
  const std::string list =
      "jobs:\n"
      "  - name: a\n"
      "    gpus: [8]\n"  // 3: '[' at column 11
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(list), "w.yaml:3:11:", "jobs[0].gpus", "expected an integer, got a list");
  // "    priority: 1.5" — value at column 15.
  EXPECT_SPEC_ERROR(W(kJobs + "    priority: 1.5\n"), "w.yaml:5:15:", "jobs[0].priority",
                    "expected an integer, got '1.5'");
  // A mapping where a list is expected.
  const std::string jobs_map =
      "jobs:\n"
      "  name: a\n"  // 2: the mapping starts at column 3
      "  gpus: 1\n"
      "  duration: 1h\n";
  EXPECT_SPEC_ERROR(W(jobs_map), "w.yaml:2:3:", "'jobs'", "expected a list, got a mapping");
  // "tenants: {name: a}" — '{' at column 10.
  EXPECT_SPEC_ERROR(W("tenants: {name: a}\n" + kJobs), "w.yaml:1:10:", "'tenants'",
                    "expected a list, got a mapping");
  // A list where a mapping is expected: "    gpus: [1, 2]" — '[' at column 11.
  const std::string gpus_list =
      "generators:\n"
      "  - name: g\n"
      "    count: 10\n"
      "    arrivals: {mean_interarrival: 1m}\n"
      "    gpus: [1, 2]\n"
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(gpus_list), "w.yaml:5:11:", "generators[0].gpus",
                    "expected a mapping of fields, got a list");
  // A list of jobs whose entry is a list.
  EXPECT_SPEC_ERROR(W("jobs:\n  - [1, 1h]\n"), "w.yaml:2:5:", "jobs[0]",
                    "expected a mapping of fields, got a list");
}

// A string where the arrivals mapping belongs is one mistake and should be one error; a second,
// "give exactly one of 'mean_interarrival' or 'rate_per_hour'", only repeats it misleadingly.
TEST(SpecErrors, ArrivalsOfWrongTypeIsOneError) {
  const std::string y =
      "generators:\n"
      "  - name: g\n"
      "    count: 10\n"
      "    arrivals: poisson\n"  // 4: value at column 15
      "    gpus: 1\n"
      "    duration: 1h\n";
  Result<WorkloadSpec> r = W(y);
  EXPECT_SPEC_ERROR(r, "w.yaml:4:15:", "generators[0].arrivals",
                    "expected a mapping of fields, got 'poisson'");
  EXPECT_EQ(ErrorCount(r), 1u) << r.message();
}

// ---------------------------------------------------------------------------------------------
// Zero or negative where a positive value is required.

TEST(SpecErrors, FleetNonPositive) {
  for (const char* v : {"0", "-5"}) {
    const std::string y = std::string("sites:\n  - name: lab\n    power_budget_mw: ") + v +
                          "\n    domains:\n      - node_type: dgx-h100\n";
    EXPECT_SPEC_ERROR(F(y), "f.yaml:3:22:", "sites[0].power_budget_mw",
                      std::string("expected a positive number, got '") + v + "'");
  }
  // "      - {node_type: dgx-h100, count: 0}" — '0' at column 38.
  const std::string count =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains:\n"
      "      - {node_type: dgx-h100, count: 0}\n";
  EXPECT_SPEC_ERROR(F(count), "f.yaml:5:38:", "sites[0].domains[0].count",
                    "expected a positive integer, got '0'");
  auto node_type = [](const std::string& gpn, const std::string& power) {
    return "node_types:\n"
           "  - name: x\n"
           "    gpu: h100\n"
           "    gpus_per_node: " +
           gpn +
           "\n"  // 4: value at column 20
           "    max_power_kw: " +
           power +
           "\n"  // 5: value at column 19
           "sites:\n"
           "  - name: lab\n"
           "    power_budget_mw: 1\n"
           "    domains: [{node_type: x}]\n";
  };
  EXPECT_TRUE(F(node_type("8", "10")).ok());
  EXPECT_SPEC_ERROR(F(node_type("0", "10")), "f.yaml:4:20:", "node_types[0].gpus_per_node",
                    "expected a positive integer, got '0'");
  EXPECT_SPEC_ERROR(F(node_type("65", "10")), "f.yaml:4:20:", "node_types[0].gpus_per_node",
                    "at most 64");
  EXPECT_SPEC_ERROR(F(node_type("8", "0")), "f.yaml:5:19:", "node_types[0].max_power_kw",
                    "expected a positive number, got '0'");
  // "    uplink_oversubscription: 0.5" — value at column 30.
  const std::string oversub =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    uplink_oversubscription: 0.5\n"
      "    domains:\n"
      "      - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F(oversub), "f.yaml:4:30:", "sites[0].uplink_oversubscription", "ratio >= 1");
}

TEST(SpecErrors, WorkloadNonPositive) {
  for (const char* v : {"0", "-4"}) {
    const std::string y =
        std::string("jobs:\n  - name: a\n    gpus: ") + v + "\n    duration: 1h\n";
    EXPECT_SPEC_ERROR(W(y), "w.yaml:3:11:", "jobs[0].gpus",
                      std::string("expected a positive integer, got '") + v + "'");
  }
  EXPECT_SPEC_ERROR(W("jobs:\n  - name: a\n    gpus: 1\n    duration: 0\n"),
                    "w.yaml:4:15:", "jobs[0].duration", "expected a positive duration, got '0'");
  EXPECT_SPEC_ERROR(W("jobs:\n  - name: a\n    gpus: 1\n    duration: 0s\n"),
                    "w.yaml:4:15:", "jobs[0].duration", "expected a positive duration, got '0s'");
  // Generator count 0 (line 3, column 12) and duration 0 (line 6, column 15).
  const std::string gen =
      "generators:\n"
      "  - name: g\n"
      "    count: 0\n"
      "    arrivals: {mean_interarrival: 1m}\n"
      "    gpus: 1\n"
      "    duration: 0\n";
  Result<WorkloadSpec> r = W(gen);
  EXPECT_SPEC_ERROR(r, "w.yaml:3:12:", "generators[0].count",
                    "expected a positive integer, got '0'");
  EXPECT_SPEC_ERROR(r, "w.yaml:6:15:", "generators[0].duration",
                    "expected a positive duration, got '0'");
  // "    arrivals: {mean_interarrival: 0}" — '0' at column 35.
  const std::string mean =
      "generators:\n"
      "  - name: g\n"
      "    count: 10\n"
      "    arrivals: {mean_interarrival: 0}\n"
      "    gpus: 1\n"
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(mean), "w.yaml:4:35:", "generators[0].arrivals.mean_interarrival",
                    "expected a positive duration");
  // "    arrivals: {rate_per_hour: -1}" — '-1' at column 31.
  const std::string rate =
      "generators:\n"
      "  - name: g\n"
      "    count: 10\n"
      "    arrivals: {rate_per_hour: -1}\n"
      "    gpus: 1\n"
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(rate), "w.yaml:4:31:", "generators[0].arrivals.rate_per_hour",
                    "expected a positive number, got '-1'");
  // Weights that sum to 0: "    gpus: {dist: choice, values: [1, 2], weights: [0, 0]}" — '[' of
  // weights at column 51.
  const std::string weights =
      "generators:\n"
      "  - name: g\n"
      "    count: 10\n"
      "    arrivals: {mean_interarrival: 1m}\n"
      "    gpus: {dist: choice, values: [1, 2], weights: [0, 0]}\n"
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(weights), "w.yaml:5:51:", "generators[0].gpus.weights",
                    "expected weights with a positive sum");
  // A negative weight: "... weights: [1, -1]}" — '-1' at column 55.
  const std::string negative =
      "generators:\n"
      "  - name: g\n"
      "    count: 10\n"
      "    arrivals: {mean_interarrival: 1m}\n"
      "    gpus: {dist: choice, values: [1, 2], weights: [1, -1]}\n"
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(negative), "w.yaml:5:55:", "generators[0].gpus.weights[1]",
                    "expected a number >= 0, got '-1'");
  // Tenant weight 0: "  - {name: a, weight: 0}" — '0' at column 23.
  EXPECT_SPEC_ERROR(W("tenants:\n  - {name: a, weight: 0}\n" + kJobs),
                    "w.yaml:2:23:", "tenants[0].weight", "expected a positive number, got '0'");
}

// ---------------------------------------------------------------------------------------------
// Unknown GPU models and node types.

TEST(SpecErrors, UnknownGpuModel) {
  const std::string fleet =
      "node_types:\n"
      "  - name: x\n"
      "    gpu: mi300x\n"  // 3: value at column 10
      "    gpus_per_node: 8\n"
      "    max_power_kw: 10\n"
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains: [{node_type: x}]\n";
  EXPECT_SPEC_ERROR(F(fleet), "f.yaml:3:10:", "node_types[0].gpu",
                    "unknown GPU model 'mi300x'; expected one of: h100, h200, b200, gb200");
  // "    gpu_model: mi300x" — value at column 16.
  EXPECT_SPEC_ERROR(W(kJobs + "    gpu_model: mi300x\n"), "w.yaml:5:16:", "jobs[0].gpu_model",
                    "unknown GPU model 'mi300x'; expected one of: h100");
  EXPECT_SPEC_ERROR(W(kGen + "    gpu_model: mi300x\n"), "w.yaml:7:16:", "generators[0].gpu_model",
                    "unknown GPU model 'mi300x'");
  // "    gpu_model: {dist: choice, values: [h100, mi300x]}" — 'mi300x' at column 46.
  EXPECT_SPEC_ERROR(W(kGen + "    gpu_model: {dist: choice, values: [h100, mi300x]}\n"),
                    "w.yaml:7:46:", "generators[0].gpu_model.values[1]",
                    "'mi300x'; expected one of: h100");
}

TEST(SpecErrors, UnknownNodeType) {
  const std::string y =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains:\n"
      "      - node_type: dgx-gh200\n";  // 5: value at column 20
  EXPECT_SPEC_ERROR(F(y), "f.yaml:5:20:", "sites[0].domains[0].node_type",
                    "unknown node type 'dgx-gh200'; expected one of: dgx-h100");
}

// ---------------------------------------------------------------------------------------------
// Dangling references.

TEST(SpecErrors, SiteProviderNotDeclared) {
  const std::string y =
      "sites:\n"
      "  - name: lab\n"
      "    provider: aws\n"  // 3: value at column 15
      "    power_budget_mw: 1\n"
      "    domains:\n"
      "      - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F(y), "f.yaml:3:15:", "sites[0].provider",
                    "unknown provider 'aws'; declared providers: owned");
  EXPECT_SPEC_ERROR(F("providers:\n  - {name: gcp, kind: cloud}\n" + y),
                    "f.yaml:5:15:", "sites[0].provider",
                    "unknown provider 'aws'; declared providers: gcp");
}

// Found by fuzz_fleet_spec: with `providers:` in error no provider exists, and a site's pricing
// was judged against providers[0] of an empty list. The providers' error alone is reported.
TEST(SpecErrors, PricingWithoutAnyProvider) {
  const std::string sites =
      "sites:\n"
      "  - name: lab\n"
      "    pricing: spot\n"
      "    power_budget_mw: 1\n"
      "    domains:\n"
      "      - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F("providers: []\n" + sites), "f.yaml:1:12:", "providers",
                    "expected at least one provider");
  EXPECT_SPEC_ERROR(F("providers: {a: 1}\n" + sites), "f.yaml:1:12:", "providers",
                    "expected a list");
}

TEST(SpecErrors, JobTenantNotDeclared) {
  const std::string y =
      "tenants:\n"
      "  - name: research\n"
      "jobs:\n"
      "  - name: a\n"
      "    gpus: 1\n"
      "    duration: 1h\n"
      "    tenant: ghost\n";  // 7: value at column 13
  EXPECT_SPEC_ERROR(W(y), "w.yaml:7:13:", "jobs[0].tenant",
                    "unknown tenant 'ghost'; declared tenants: research");
}

TEST(SpecErrors, GeneratorTenantChoiceNotDeclared) {
  // "    tenant: {dist: choice, values: [research, ghost]}" — 'ghost' at column 47.
  const std::string y =
      "tenants:\n"
      "  - name: research\n"
      "generators:\n"
      "  - name: g\n"
      "    count: 10\n"
      "    arrivals: {mean_interarrival: 1m}\n"
      "    gpus: 1\n"
      "    duration: 1h\n"
      "    tenant: {dist: choice, values: [research, ghost]}\n";
  EXPECT_SPEC_ERROR(W(y), "w.yaml:9:47:", "generators[0].tenant.values[1]",
                    "'ghost'; expected one of: research");
  // A single tenant name (a fixed distribution): "    tenant: ghost" — column 13.
  const std::string fixed =
      "tenants:\n"
      "  - name: research\n"
      "generators:\n"
      "  - name: g\n"
      "    count: 10\n"
      "    arrivals: {mean_interarrival: 1m}\n"
      "    gpus: 1\n"
      "    duration: 1h\n"
      "    tenant: ghost\n";
  EXPECT_SPEC_ERROR(W(fixed), "w.yaml:9:13:", "generators[0].tenant",
                    "'ghost'; expected one of: research");
}

// Only the fleet can tell, so BindWorkload reports these; the error should still point at the
// `target` value and name the field, like every other spec error.
TEST(SpecErrors, FailureTargetNotInFleet) {
  const std::string w =
      "jobs:\n"
      "  - {gpus: 1, duration: 1h}\n"
      "failures:\n"
      "  - at: 1h\n"
      "    target: lab/dgx-9\n";  // 5: value at column 13
  EXPECT_SPEC_ERROR(Bind(kBindFleet, w), "w.yaml:5:13:", "failures[0].target", "'lab/dgx-9'");
}

TEST(SpecErrors, JobGpuModelNotInFleet) {
  // b200 is in the catalogue, but the fleet has only h100. "    gpu_model: b200" — column 16.
  EXPECT_SPEC_ERROR(Bind(kBindFleet, kJobs + "    gpu_model: b200\n"),
                    "w.yaml:5:16:", "jobs[0].gpu_model", "'b200' is not in the fleet");
}

TEST(SpecErrors, GeneratorGpuModelNotInFleet) {
  EXPECT_SPEC_ERROR(Bind(kBindFleet, kGen + "    gpu_model: b200\n"),
                    "w.yaml:7:16:", "generators[0].gpu_model", "'b200' is not in the fleet");
  // "    gpu_model: {dist: choice, values: [h100, b200]}" — 'b200' at column 46.
  EXPECT_SPEC_ERROR(
      Bind(kBindFleet, kGen + "    gpu_model: {dist: choice, values: [h100, b200]}\n"),
      "w.yaml:7:46:", "generators[0].gpu_model.values[1]", "'b200' is not in the fleet");
}

// A choice among models that are all in the fleet must bind, whatever else the catalogue holds.
TEST(SpecErrors, GeneratorGpuModelChoiceInFleetBinds) {
  Result<BoundWorkload> b =
      Bind(kBindFleet, kGen + "    gpu_model: {dist: choice, values: [h100]}\n");
  EXPECT_TRUE(b.ok()) << b.message();
}

// ---------------------------------------------------------------------------------------------
// Duplicate keys and duplicate names.

TEST(SpecErrors, DuplicateKeys) {
  const std::string fleet =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    power_budget_mw: 2\n"  // 4: the second key at column 5
      "    domains:\n"
      "      - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F(fleet), "f.yaml:4:5:", "sites[0].power_budget_mw", "duplicate key");
  EXPECT_SPEC_ERROR(F(kFleet + "sites: []\n"), "f.yaml:6:1:", "'sites'", "duplicate key");
  const std::string work =
      "jobs:\n"
      "  - name: a\n"
      "    gpus: 1\n"
      "    gpus: 2\n"  // 4: the second key at column 5
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(work), "w.yaml:4:5:", "jobs[0].gpus", "duplicate key");
  // "  - {gpus: 1, duration: 1h, gpus: 2}" — the second 'gpus' at column 29.
  EXPECT_SPEC_ERROR(W("jobs:\n  - {gpus: 1, duration: 1h, gpus: 2}\n"),
                    "w.yaml:2:29:", "jobs[0].gpus", "duplicate key");
}

TEST(SpecErrors, DuplicateNames) {
  const std::string sites =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains: [{node_type: dgx-h100}]\n"
      "  - name: lab\n"  // 5: the second site starts at column 5
      "    power_budget_mw: 1\n"
      "    domains: [{node_type: dgx-h100}]\n";
  EXPECT_SPEC_ERROR(F(sites), "f.yaml:5:5:", "sites[1].name", "duplicate name 'lab'");
  // Two unnamed domains are both 'domain': "    domains: [{node_type: dgx-h100}, {node_type:
  // dgx-h200}]" — the second '{' at column 38.
  const std::string domains =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains: [{node_type: dgx-h100}, {node_type: dgx-h200}]\n";
  EXPECT_SPEC_ERROR(F(domains), "f.yaml:4:38:", "sites[0].domains[1].name",
                    "duplicate name 'domain'");
  const std::string providers =
      "providers:\n"
      "  - name: a\n"
      "  - name: a\n" +
      kFleet;  // 3: the second provider at column 5
  EXPECT_SPEC_ERROR(F(providers), "f.yaml:3:5:", "providers[1].name",
                    "duplicate provider name 'a'");
  const std::string node_types =
      "node_types:\n"
      "  - name: dgx-h100\n"  // 2: shadows the built-in type; column 5
      "    gpu: h100\n"
      "    gpus_per_node: 8\n"
      "    max_power_kw: 10\n" +
      kFleet;
  EXPECT_SPEC_ERROR(F(node_types), "f.yaml:2:5:", "node_types[0].name",
                    "node type 'dgx-h100' is already defined");
  const std::string tenants =
      "tenants:\n"
      "  - name: a\n"
      "  - name: a\n" +
      kJobs;  // 3: the second tenant at column 5
  EXPECT_SPEC_ERROR(W(tenants), "w.yaml:3:5:", "tenants[1].name", "duplicate tenant 'a'");
  const std::string generators = kGen +
                                 "  - name: g\n"  // 7: the second generator at column 5
                                 "    count: 10\n"
                                 "    arrivals: {mean_interarrival: 1m}\n"
                                 "    gpus: 1\n"
                                 "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(generators), "w.yaml:7:5:", "generators[1].name",
                    "duplicate generator name 'g'");
}

// ---------------------------------------------------------------------------------------------
// Missing required fields. The error points at the mapping that lacks the field.

TEST(SpecErrors, FleetMissingRequiredFields) {
  EXPECT_SPEC_ERROR(F("providers:\n  - name: a\n"), "f.yaml:1:1:", "'sites'",
                    "missing required field");
  const std::string budget =
      "sites:\n"
      "  - name: lab\n"  // 2: the site at column 5
      "    domains:\n"
      "      - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F(budget), "f.yaml:2:5:", "sites[0].power_budget_mw", "missing required field");
  const std::string name =
      "sites:\n"
      "  - power_budget_mw: 1\n"  // 2: the site at column 5
      "    domains:\n"
      "      - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F(name), "f.yaml:2:5:", "sites[0].name", "missing required field");
  EXPECT_SPEC_ERROR(F("sites:\n  - name: lab\n    power_budget_mw: 1\n"),
                    "f.yaml:2:5:", "sites[0].pods", "missing required field");
  // "      - {count: 2}" — the domain's '{' at column 9.
  const std::string type =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains:\n"
      "      - {count: 2}\n";
  EXPECT_SPEC_ERROR(F(type), "f.yaml:5:9:", "sites[0].domains[0].node_type",
                    "missing required field");
  const std::string gpu =
      "node_types:\n"
      "  - name: x\n"  // 2: the node type at column 5
      "    gpus_per_node: 8\n"
      "    max_power_kw: 10\n" +
      kFleet;
  EXPECT_SPEC_ERROR(F(gpu), "f.yaml:2:5:", "node_types[0].gpu", "missing required field");
  // "      - {name: r}" inside leaves: '{' at column 9.
  const std::string leaf =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    leaves:\n"
      "      - {name: r}\n";
  EXPECT_SPEC_ERROR(F(leaf), "f.yaml:5:9:", "sites[0].leaves[0].domains", "missing required field");
}

TEST(SpecErrors, WorkloadMissingRequiredFields) {
  EXPECT_SPEC_ERROR(W("tenants:\n  - name: a\n"), "w.yaml:1:1:", "'jobs'",
                    "a workload needs at least one of 'jobs', 'generators' or 'services'");
  EXPECT_SPEC_ERROR(W("jobs:\n  - name: a\n    duration: 1h\n"), "w.yaml:2:5:", "jobs[0].gpus",
                    "missing required field");
  EXPECT_SPEC_ERROR(W("jobs:\n  - name: a\n    gpus: 1\n"), "w.yaml:2:5:", "jobs[0].duration",
                    "missing required field");
  const std::string arrivals =
      "generators:\n"
      "  - name: g\n"
      "    count: 10\n"
      "    gpus: 1\n"
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(arrivals), "w.yaml:2:5:", "generators[0].arrivals", "missing required field");
  const std::string endless =
      "generators:\n"
      "  - name: g\n"
      "    arrivals: {mean_interarrival: 1m}\n"
      "    gpus: 1\n"
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(endless), "w.yaml:2:5:", "generators[0].count",
                    "a generator needs 'count', 'until' or both");
  const std::string target = kJobs +
                             "failures:\n"
                             "  - at: 1h\n";  // 6: the failure at column 5
  EXPECT_SPEC_ERROR(W(target), "w.yaml:6:5:", "failures[0].target", "missing required field");
  // "    duration: {dist: lognormal, median: 1h}" — '{' at column 15.
  EXPECT_SPEC_ERROR(W("generators:\n  - name: g\n    count: 10\n    arrivals: {mean_interarrival: "
                      "1m}\n    gpus: 1\n"
                      "    duration: {dist: lognormal, median: 1h}\n"),
                    "w.yaml:6:15:", "generators[0].duration.sigma", "missing required field");
}

// Leaving out `dist` is one mistake; the distribution's own keys should not also be reported as
// unknown ("unknown key; expected one of: dist").
TEST(SpecErrors, MissingDistIsOneError) {
  // "    gpus: {values: [1, 2]}" — '{' at column 11.
  const std::string y =
      "generators:\n"
      "  - name: g\n"
      "    count: 10\n"
      "    arrivals: {mean_interarrival: 1m}\n"
      "    gpus: {values: [1, 2]}\n"
      "    duration: 1h\n";
  Result<WorkloadSpec> r = W(y);
  EXPECT_SPEC_ERROR(r, "w.yaml:5:11:", "generators[0].gpus.dist", "missing required field");
  EXPECT_EQ(ErrorCount(r), 1u) << r.message();
}

// An empty value is reported on the line of its key, not on the line of the next key.
TEST(SpecErrors, EmptyValueIsReportedOnItsOwnLine) {
  const std::string y =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw:\n"  // 3: nothing after the colon
      "    domains:\n"
      "      - node_type: dgx-h100\n";
  EXPECT_SPEC_ERROR(F(y), "f.yaml:3:", "sites[0].power_budget_mw",
                    "expected a number, got nothing");
}

// ---------------------------------------------------------------------------------------------
// Bad durations.

TEST(SpecErrors, BadDurations) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c :
       {Case{"10", "expected a duration such as 90s, 30m, 12h"},
        Case{"-5m", "expected a non-negative duration, got '-5m'"},
        Case{"5 minutes", "expected a duration such as 90s, 30m, 12h"},
        Case{"1.5.h", "expected a duration such as"}, Case{"h", "expected a duration such as"}}) {
    SCOPED_TRACE(c.text);
    const std::string job =
        std::string("jobs:\n  - name: a\n    gpus: 1\n    duration: ") + c.text + "\n";
    Result<WorkloadSpec> r = W(job);
    EXPECT_SPEC_ERROR(r, "w.yaml:4:15:", "jobs[0].duration", c.expected);
    EXPECT_SPEC_ERROR(r, "w.yaml:4:15:", "jobs[0].duration", std::string("'") + c.text + "'");
    // "    submit: X" — value at column 13.
    EXPECT_SPEC_ERROR(W(kJobs + "    submit: " + c.text + "\n"), "w.yaml:5:13:", "jobs[0].submit",
                      c.expected);
    // "    until: X" in a generator — value at column 12.
    EXPECT_SPEC_ERROR(W(kGen + "    until: " + c.text + "\n"),
                      "w.yaml:7:12:", "generators[0].until", c.expected);
    // A failure's "  - at: X" — value at column 9.
    EXPECT_SPEC_ERROR(W(kJobs + "failures:\n  - at: " + c.text + "\n    target: lab\n"),
                      "w.yaml:6:9:", "failures[0].at", c.expected);
  }
  // A list where a duration is expected: "    duration: [1h]" — '[' at column 15.
  EXPECT_SPEC_ERROR(W("jobs:\n  - name: a\n    gpus: 1\n    duration: [1h]\n"),
                    "w.yaml:4:15:", "jobs[0].duration", "got a list");
}

// ---------------------------------------------------------------------------------------------
// Bad distributions.

// A generator whose line 6 is `duration_line`.
std::string GenWithDuration(const std::string& duration_lines) {
  return "generators:\n"
         "  - name: g\n"
         "    count: 10\n"
         "    arrivals: {mean_interarrival: 1m}\n"
         "    gpus: 1\n" +
         duration_lines;
}

TEST(SpecErrors, UnknownDistribution) {
  // "    duration: {dist: weibull}" — 'weibull' at column 22.
  EXPECT_SPEC_ERROR(W(GenWithDuration("    duration: {dist: weibull}\n")),
                    "w.yaml:6:22:", "generators[0].duration.dist",
                    "expected one of fixed, choice, lognormal, empirical, got 'weibull'");
  // Names take only fixed or choice: "    tenant: {dist: lognormal}" — 'lognormal' at column 20.
  EXPECT_SPEC_ERROR(W(kGen + "    tenant: {dist: lognormal}\n"),
                    "w.yaml:7:20:", "generators[0].tenant.dist",
                    "expected 'fixed' or 'choice' for names, got 'lognormal'");
}

TEST(SpecErrors, ChoiceWeightsLengthMismatch) {
  // "    gpus: {dist: choice, values: [1, 2], weights: [1]}" — '[' of weights at column 51.
  const std::string y =
      "generators:\n"
      "  - name: g\n"
      "    count: 10\n"
      "    arrivals: {mean_interarrival: 1m}\n"
      "    gpus: {dist: choice, values: [1, 2], weights: [1]}\n"
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(y), "w.yaml:5:51:", "generators[0].gpus.weights",
                    "expected as many weights as values (2)");
}

TEST(SpecErrors, EmpiricalProbabilities) {
  // Not rising: "      points: [[0, 1m], [0.5, 10m], [0.4, 20m], [1, 1h]]" — '0.4' at column 38.
  const std::string falling = GenWithDuration(
      "    duration:\n"
      "      dist: empirical\n"
      "      points: [[0, 1m], [0.5, 10m], [0.4, 20m], [1, 1h]]\n");
  EXPECT_SPEC_ERROR(W(falling), "w.yaml:8:38:", "generators[0].duration.points[2][0]",
                    "expected cumulative probabilities rising from 0 to 1");
  // Not ending at 1: the points list's '[' at column 15.
  const std::string short_of_one = GenWithDuration(
      "    duration:\n"
      "      dist: empirical\n"
      "      points: [[0, 1m], [0.5, 10m], [0.9, 20m]]\n");
  EXPECT_SPEC_ERROR(W(short_of_one), "w.yaml:8:15:", "generators[0].duration.points",
                    "the last at 1");
  // Not starting at 0.
  const std::string late_start = GenWithDuration(
      "    duration:\n"
      "      dist: empirical\n"
      "      points: [[0.1, 1m], [1, 10m]]\n");
  EXPECT_SPEC_ERROR(W(late_start), "w.yaml:8:15:", "generators[0].duration.points",
                    "the first at probability 0");
  // Above 1: "      points: [[0, 1m], [1.5, 10m]]" — '1.5' at column 26.
  const std::string above = GenWithDuration(
      "    duration:\n"
      "      dist: empirical\n"
      "      points: [[0, 1m], [1.5, 10m]]\n");
  EXPECT_SPEC_ERROR(W(above), "w.yaml:8:26:", "generators[0].duration.points[1][0]",
                    "rising from 0 to 1");
  // Not a pair: "      points: [[0, 1m], [1]]" — the inner '[' at column 25.
  const std::string single = GenWithDuration(
      "    duration:\n"
      "      dist: empirical\n"
      "      points: [[0, 1m], [1]]\n");
  EXPECT_SPEC_ERROR(W(single), "w.yaml:8:25:", "generators[0].duration.points[1]",
                    "expected a pair");
  // A valid table parses.
  EXPECT_TRUE(
      W(GenWithDuration(
            "    duration:\n      dist: empirical\n      points: [[0, 1m], [0.5, 10m], [1, 1h]]\n"))
          .ok());
}

TEST(SpecErrors, LognormalMinAboveMax) {
  // "    duration: {dist: lognormal, median: 20m, sigma: 1, min: 2h, max: 1h}" — '2h' at column 61.
  EXPECT_SPEC_ERROR(
      W(GenWithDuration(
          "    duration: {dist: lognormal, median: 20m, sigma: 1, min: 2h, max: 1h}\n")),
      "w.yaml:6:61:", "generators[0].duration.min", "expected min <= max");
}

// With `min` left out (0 by default) and a negative `max`, the error must still name a real
// place — the `max` the user wrote — and not "0:0" and a field that is not in the file.
TEST(SpecErrors, LognormalNegativeMaxWithoutMinHasALocation) {
  // "    priority: {dist: lognormal, median: 5, sigma: 1, max: -3}" — '-3' at column 59.
  Result<WorkloadSpec> r =
      W(kGen + "    priority: {dist: lognormal, median: 5, sigma: 1, max: -3}\n");
  EXPECT_SPEC_ERROR(r, "w.yaml:7:59:", "generators[0].priority.max", "");
}

// ---------------------------------------------------------------------------------------------
// Out-of-range integers and sizes.

TEST(SpecErrors, HugeCount) {
  // "      - {node_type: dgx-h100, count: 99999999999}" — value at column 38.
  const std::string y =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains:\n"
      "      - {node_type: dgx-h100, count: 99999999999}\n";
  EXPECT_SPEC_ERROR(F(y), "f.yaml:5:38:", "sites[0].domains[0].count", "expected at most 10000000");
  // Too big for 64 bits.
  const std::string y2 =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains:\n"
      "      - {node_type: dgx-h100, count: 99999999999999999999999}\n";
  EXPECT_SPEC_ERROR(F(y2), "f.yaml:5:38:", "sites[0].domains[0].count", "expected an integer");
  EXPECT_SPEC_ERROR(W("jobs:\n  - name: a\n    gpus: 99999999999\n    duration: 1h\n"),
                    "w.yaml:3:11:", "jobs[0].gpus", "expected at most 10000000 GPUs");
}

// A fleet that expands to too many topology nodes is rejected; the error should still carry a
// file:line:column (of a `count` that makes it too big) like every other spec error.
TEST(SpecErrors, FleetTooLargeHasALocation) {
  const std::string y =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    pods:\n"
      "      - count: 1000\n"
      "        leaves:\n"
      "          - count: 1000\n"
      "            domains:\n"
      "              - {count: 1000, node_type: dgx-h100}\n";
  Result<Fleet> r = F(y);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(std::regex_search(r.message(), std::regex("^f\\.yaml:[0-9]+:[0-9]+: ")))
      << r.message();
  EXPECT_NE(r.message().find("count"), std::string::npos) << r.message();
}

// These specs once brought the process down (std::length_error from vector::reserve after an
// integer overflow). Each runs in a child process so that a crash fails only this test.
void ExpectFleetErrorWithoutCrash(const std::string& yaml, const std::string& where,
                                  const std::string& field) {
  EXPECT_EXIT(
      {
        Result<Fleet> r = F(yaml);
        const bool good = !r.ok() && HasLine(r.message(), where, field, "");
        std::fprintf(stderr, "%s\n", r.ok() ? "(accepted)" : r.message().c_str());
        std::fflush(stderr);
        std::_Exit(good ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(SpecErrors, HugeNodesPerDomainDoesNotCrash) {
  // 2147483648 does not fit in an int.
  const std::string y =
      "node_types:\n"
      "  - name: big\n"
      "    gpu: h100\n"
      "    gpus_per_node: 8\n"
      "    nodes_per_domain: 2147483648\n"  // 5: value at column 23
      "    max_power_kw: 10\n"
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains: [{node_type: big}]\n";
  ExpectFleetErrorWithoutCrash(y, "f.yaml:5:23:", "node_types[0].nodes_per_domain");
}

TEST(SpecErrors, HugeNestedCountsDoNotCrash) {
  // Each count is allowed on its own; their product overflows 64 bits.
  const std::string y =
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    pods:\n"
      "      - count: 10000000\n"
      "        leaves:\n"
      "          - count: 10000000\n"
      "            domains:\n"
      "              - {count: 10000000, node_type: gb200-nvl72}\n";
  ExpectFleetErrorWithoutCrash(y, "f.yaml:", "count");
}

// A priority beyond 32 bits must be rejected, not silently wrapped to another number.
TEST(SpecErrors, PriorityOutOfRange) {
  // "    priority: 99999999999" — value at column 15.
  EXPECT_SPEC_ERROR(W(kJobs + "    priority: 99999999999\n"), "w.yaml:5:15:", "jobs[0].priority",
                    "");
}

// ---------------------------------------------------------------------------------------------
// Several errors are all reported, one per line.

TEST(SpecErrors, FleetReportsEveryError) {
  const std::string y =
      "sites:\n"                        // 1
      "  - name: lab\n"                 // 2
      "    power_budget_mw: -1\n"       // 3: value at column 22
      "    colour: blue\n"              // 4: key at column 5
      "    domains:\n"                  // 5
      "      - node_type: dgx-gh200\n"  // 6: value at column 20
      "        count: 0\n";             // 7: value at column 16
  Result<Fleet> r = F(y);
  EXPECT_SPEC_ERROR(r, "f.yaml:3:22:", "sites[0].power_budget_mw", "expected a positive number");
  EXPECT_SPEC_ERROR(r, "f.yaml:4:5:", "sites[0].colour", "unknown key");
  EXPECT_SPEC_ERROR(r, "f.yaml:6:20:", "sites[0].domains[0].node_type",
                    "unknown node type 'dgx-gh200'");
  EXPECT_SPEC_ERROR(r, "f.yaml:7:16:", "sites[0].domains[0].count", "expected a positive integer");
  EXPECT_EQ(ErrorCount(r), 4u) << r.message();
}

TEST(SpecErrors, WorkloadReportsEveryError) {
  const std::string y =
      "tenants:\n"                                                // 1
      "  - name: research\n"                                      // 2
      "jobs:\n"                                                   // 3
      "  - name: a\n"                                             // 4
      "    gpus: 0\n"                                             // 5: value at column 11
      "    duration: 10\n"                                        // 6: value at column 15
      "    tenant: ghost\n"                                       // 7: value at column 13
      "generators:\n"                                             // 8
      "  - name: g\n"                                             // 9
      "    count: 10\n"                                           // 10
      "    arrivals: {mean_interarrival: 1m}\n"                   // 11
      "    gpus: {dist: choice, values: [1, 2], weights: [1]}\n"  // 12: weights '[' at column 51
      "    duration: 5 minutes\n";                                // 13: value at column 15
  Result<WorkloadSpec> r = W(y);
  EXPECT_SPEC_ERROR(r, "w.yaml:5:11:", "jobs[0].gpus", "expected a positive integer");
  EXPECT_SPEC_ERROR(r, "w.yaml:6:15:", "jobs[0].duration", "expected a duration");
  EXPECT_SPEC_ERROR(r, "w.yaml:7:13:", "jobs[0].tenant", "unknown tenant 'ghost'");
  EXPECT_SPEC_ERROR(r, "w.yaml:12:51:", "generators[0].gpus.weights",
                    "expected as many weights as values");
  EXPECT_SPEC_ERROR(r, "w.yaml:13:15:", "generators[0].duration", "expected a duration");
  EXPECT_EQ(ErrorCount(r), 5u) << r.message();
}

}  // namespace
}  // namespace gpufleet
