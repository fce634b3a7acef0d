// End-to-end tests of the gpufleet binary: exit codes, error locations on stderr, help text and
// the files `sim` and `fleet show --json` write. The binary runs through std::system with stdout
// and stderr redirected to files in a directory of this test's own.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_run.h"

namespace {

namespace fs = std::filesystem;

using gpufleet::testing::Quote;
using gpufleet::testing::ReadFile;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

struct Outcome {
  int code = -1;  // the exit code, or 128 + the signal that ended the process
  std::string out, err;
};

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("gpufleet_cli_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string Source(const std::string& relative) {
    return std::string(GPUFLEET_SOURCE_DIR) + "/" + relative;
  }

  std::string Write(const std::string& name, const std::string& content) const {
    const std::string p = Path(name);
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

  // Runs the binary with `args` (already quoted where needed).
  Outcome Gpufleet(const std::string& args) const {
    const std::string out = Path("stdout.txt"), err = Path("stderr.txt");
    const std::string cmd = Quote(GPUFLEET_BINARY) + " " + args + " >" + Quote(out) + " 2>" +
                            Quote(err) + " </dev/null";
    const int status = std::system(cmd.c_str());
    Outcome r;
    if (status == -1) {
      r.code = -1;
    } else if (WIFEXITED(status)) {
      r.code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      r.code = 128 + WTERMSIG(status);
    }
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }

  fs::path dir_;
};

std::string Describe(const Outcome& r) {
  return "exit code " + std::to_string(r.code) + "\n--- stdout ---\n" + r.out + "--- stderr ---\n" +
         r.err;
}

// ---------------------------------------------------------------------------------------------
// validate: bad specs exit 2 with file:line:column on stderr.

TEST_F(Cli, ValidateBadFleetReportsLocation) {
  const std::string f = Write("bad-fleet.yaml",
                              "sites:\n"
                              "  - name: lab\n"
                              "    power_budget_mw: 0\n"  // 3: value at column 22
                              "    domains:\n"
                              "      - node_type: dgx-h100\n");
  const Outcome r = Gpufleet("validate " + Quote(f));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_NE(r.err.find(f + ":3:22: "), std::string::npos) << Describe(r);
  EXPECT_NE(r.err.find("sites[0].power_budget_mw"), std::string::npos) << Describe(r);
  EXPECT_NE(r.err.find("expected a positive number"), std::string::npos) << Describe(r);
}

TEST_F(Cli, ValidateBadWorkloadReportsLocation) {
  const std::string w = Write("bad-workload.yaml",
                              "jobs:\n"
                              "  - name: a\n"
                              "    gpus: 1\n"
                              "    duration: 10\n");  // 4: value at column 15
  const Outcome r = Gpufleet("validate " + Quote(w));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_NE(r.err.find(w + ":4:15: "), std::string::npos) << Describe(r);
  EXPECT_NE(r.err.find("jobs[0].duration"), std::string::npos) << Describe(r);
  EXPECT_NE(r.err.find("expected a duration"), std::string::npos) << Describe(r);
}

TEST_F(Cli, ValidateReportsEveryErrorOnItsOwnLine) {
  const std::string w = Write("bad-workload.yaml",
                              "jobs:\n"
                              "  - name: a\n"
                              "    gpus: 0\n"  // 3: value at column 11
                              "    duration: 1h\n"
                              "    colour: blue\n");  // 5: key at column 5
  const Outcome r = Gpufleet("validate " + Quote(w));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_NE(r.err.find(w + ":3:11: "), std::string::npos) << Describe(r);
  EXPECT_NE(r.err.find(w + ":5:5: "), std::string::npos) << Describe(r);
  size_t located = 0;
  for (const std::string& line : Lines(r.err)) located += line.rfind(w + ":", 0) == 0;
  EXPECT_EQ(located, 2u) << Describe(r);
}

TEST_F(Cli, ValidateChecksWorkloadAgainstFleet) {
  const std::string w = Write("w.yaml",
                              "jobs:\n"
                              "  - {gpus: 1, duration: 1h}\n"
                              "failures:\n"
                              "  - at: 1h\n"
                              "    target: lab/rack/dgx-9\n");  // 5: value at column 13
  const Outcome r =
      Gpufleet("validate " + Quote(Source("examples/fleets/tiny.yaml")) + " " + Quote(w));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_NE(r.err.find("lab/rack/dgx-9"), std::string::npos) << Describe(r);
  // The location of the target value, as for every other spec error.
  EXPECT_NE(r.err.find(w + ":5:13: "), std::string::npos) << Describe(r);
}

// Spot nodes are taken back for as long as a run goes: `sim` asks for --until rather than run
// for ever behind a job that cannot finish there.
TEST_F(Cli, ASpotFleetNeedsUntil) {
  const std::string f = Write("spot.yaml",
                              "providers:\n"
                              "  - {name: c, kind: cloud, spot: {gpu_hour_usd: 1, "
                              "reclaims_per_node_day: 24, notice: 30s, back_after: 1h}}\n"
                              "sites:\n"
                              "  - {name: s, pricing: spot, power_budget_mw: 1, "
                              "domains: [{node_type: dgx-h100}]}\n");
  const std::string w = Write("w.yaml", "jobs: [{gpus: 8, duration: 20d}]\n");
  const Outcome r = Gpufleet("sim --fleet " + Quote(f) + " --workload " + Quote(w));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_NE(r.err.find("site 's' is spot"), std::string::npos) << Describe(r);
  EXPECT_NE(r.err.find("give --until"), std::string::npos) << Describe(r);
  const Outcome bounded =
      Gpufleet("sim --fleet " + Quote(f) + " --workload " + Quote(w) + " --until 2d --json");
  EXPECT_EQ(bounded.code, 0) << Describe(bounded);
  EXPECT_NE(bounded.out.find("\"spot\""), std::string::npos) << Describe(bounded);
}

// --dispatch: the report says which, the summary's first line too; a choice that --no-physics
// leaves nothing to go by is refused.
TEST_F(Cli, DispatchIsReportedAndRefusedWhereIdle) {
  const std::string f = Write("two.yaml",
                              "providers:\n"
                              "  - {name: lab}\n"
                              "  - {name: c, kind: cloud, gpu_hour_usd: 4}\n"
                              "sites:\n"
                              "  - {name: rented, provider: c, power_budget_mw: 1, "
                              "domains: [{node_type: dgx-h100}]}\n"
                              "  - {name: campus, provider: lab, power_budget_mw: 1, "
                              "domains: [{node_type: dgx-h100}]}\n");
  const std::string w = Write("w.yaml", "jobs: [{gpus: 8, duration: 1h}]\n");
  const std::string base = "sim --fleet " + Quote(f) + " --workload " + Quote(w);
  const Outcome cheap = Gpufleet(base + " --dispatch cheapest --json");
  ASSERT_EQ(cheap.code, 0) << Describe(cheap);
  EXPECT_NE(cheap.out.find("\"dispatch\": \"cheapest\""), std::string::npos) << Describe(cheap);
  const Outcome fit = Gpufleet(base + " --json");
  ASSERT_EQ(fit.code, 0) << Describe(fit);
  EXPECT_EQ(fit.out.find("\"dispatch\""), std::string::npos) << Describe(fit);
  const Outcome summary = Gpufleet(base + " --dispatch lowest-carbon --no-progress");
  EXPECT_NE(summary.out.find("dispatch lowest-carbon"), std::string::npos) << Describe(summary);
  for (const char* idle : {"power-aware", "earliest-start"}) {
    const Outcome r = Gpufleet(base + " --no-physics --dispatch " + idle);
    EXPECT_EQ(r.code, 2) << Describe(r);
    EXPECT_NE(r.err.find("--no-physics keeps no"), std::string::npos) << Describe(r);
  }
  const Outcome unknown = Gpufleet(base + " --dispatch fastest");
  EXPECT_EQ(unknown.code, 2) << Describe(unknown);
  EXPECT_NE(unknown.err.find("best-fit,cheapest"), std::string::npos) << Describe(unknown);
}

TEST_F(Cli, ElasticSitesAreReportedBySimAndRefusedByServe) {
  const std::string f = Write("elastic.yaml",
                              "providers:\n"
                              "  - {name: lab}\n"
                              "  - {name: c, kind: cloud, gpu_hour_usd: 4}\n"
                              "sites:\n"
                              "  - {name: campus, provider: lab, power_budget_mw: 1, "
                              "domains: [{node_type: dgx-h100}]}\n"
                              "  - {name: burst, provider: c, power_budget_mw: 1, elastic: {}, "
                              "domains: [{node_type: dgx-h100}]}\n");
  const std::string w =
      Write("w.yaml", "jobs: [{gpus: 8, duration: 1h}, {gpus: 8, duration: 9h}]\n");
  const std::string base = "sim --fleet " + Quote(f) + " --workload " + Quote(w);
  const Outcome summary = Gpufleet(base + " --no-progress");
  ASSERT_EQ(summary.code, 0) << Describe(summary);
  EXPECT_NE(summary.out.find("elastic      burst: 1 node rented"), std::string::npos)
      << Describe(summary);
  const Outcome json = Gpufleet(base + " --json");
  ASSERT_EQ(json.code, 0) << Describe(json);
  EXPECT_NE(json.out.find("\"nodes_acquired\": 1"), std::string::npos) << Describe(json);
  const Outcome show = Gpufleet("fleet show " + Quote(f));
  ASSERT_EQ(show.code, 0) << Describe(show);
  EXPECT_NE(show.out.find("on_demand at $4.00/GPU-hour, elastic: up to 1 node, serving 10.0m after "
                          "asked, rented past a 30.0m wait, given back after 30.0m idle"),
            std::string::npos)
      << Describe(show);
  // Refused by the control plane's fleet check (ControlPlane::CheckFleet, which its start makes
  // too), named by the fleet file: before the tokens are read, the state opened or a port bound.
  const Outcome serve = Gpufleet("serve --fleet " + Quote(f) + " --tokens " +
                                 Quote(Write("tokens", "")) + " --listen 127.0.0.1:0");
  EXPECT_EQ(serve.code, 2) << Describe(serve);
  EXPECT_NE(serve.err.find(f + ": site 'burst' is elastic"), std::string::npos) << Describe(serve);
}

TEST_F(Cli, ValidateAcceptsTheExamples) {
  const Outcome r = Gpufleet("validate " + Quote(Source("examples/fleets/tiny.yaml")) + " " +
                             Quote(Source("examples/workloads/tiny.yaml")));
  EXPECT_EQ(r.code, 0) << Describe(r);
  EXPECT_NE(r.out.find("ok  "), std::string::npos) << Describe(r);
}

// ---------------------------------------------------------------------------------------------
// Hostile input: an error (exit 2), never a crash (a signal shows as exit code >= 128).

TEST_F(Cli, EmptyFileDoesNotCrash) {
  const std::string f = Write("empty.yaml", "");
  const Outcome r = Gpufleet("validate " + Quote(f));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_NE(r.err.find(f + ":1:1: "), std::string::npos) << Describe(r);
  const Outcome show = Gpufleet("fleet show " + Quote(f));
  EXPECT_EQ(show.code, 2) << Describe(show);
  const Outcome sim = Gpufleet("sim --fleet " + Quote(f) + " --workload " +
                               Quote(Source("examples/workloads/tiny.yaml")));
  EXPECT_EQ(sim.code, 2) << Describe(sim);
}

TEST_F(Cli, BinaryGarbageDoesNotCrash) {
  std::string garbage;
  std::uint32_t x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1664525u + 1013904223u;  // a fixed pseudo-random byte stream
    garbage += static_cast<char>(x >> 24);
  }
  garbage[100] = '\0';
  const std::string f = Write("garbage.yaml", garbage);
  const Outcome r = Gpufleet("validate " + Quote(f));
  EXPECT_LT(r.code, 128) << Describe(r);
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_NE(r.err.find(f + ":"), std::string::npos) << Describe(r);
  const Outcome show = Gpufleet("fleet show " + Quote(f));
  EXPECT_EQ(show.code, 2) << Describe(show);
  const Outcome sim = Gpufleet("sim --fleet " + Quote(Source("examples/fleets/tiny.yaml")) +
                               " --workload " + Quote(f));
  EXPECT_EQ(sim.code, 2) << Describe(sim);
}

TEST_F(Cli, TopLevelListDoesNotCrash) {
  const std::string f = Write("list.yaml", "- sites\n- jobs\n");
  const Outcome r = Gpufleet("validate " + Quote(f));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_NE(r.err.find(f + ":1:1: "), std::string::npos) << Describe(r);
  const Outcome show = Gpufleet("fleet show " + Quote(f) + " --json");
  EXPECT_EQ(show.code, 2) << Describe(show);
  EXPECT_NE(show.err.find(f + ":1:1: "), std::string::npos) << Describe(show);
}

TEST_F(Cli, HugeCountDoesNotCrash) {
  const std::string f = Write("huge-fleet.yaml",
                              "sites:\n"
                              "  - name: lab\n"
                              "    power_budget_mw: 1\n"
                              "    domains:\n"
                              "      - node_type: dgx-h100\n"
                              "        count: 99999999999\n");  // 6: value at column 16
  const Outcome r = Gpufleet("validate " + Quote(f));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_NE(r.err.find(f + ":6:16: "), std::string::npos) << Describe(r);
  const Outcome show = Gpufleet("fleet show " + Quote(f));
  EXPECT_EQ(show.code, 2) << Describe(show);
  // A generator with a huge count once passed validate and ended a run in bad_alloc (issue 11):
  // the generators of a workload make at most 10,000,000 jobs (docs/SPEC.md, "Limits"), an error
  // at the count (line 3, column 12) found by reading, not by running.
  const std::string w = Write("huge-workload.yaml",
                              "generators:\n"
                              "  - name: g\n"
                              "    count: 99999999999\n"
                              "    arrivals: {mean_interarrival: 1m}\n"
                              "    gpus: 1\n"
                              "    duration: 1h\n");
  const Outcome v = Gpufleet("validate " + Quote(w));
  EXPECT_EQ(v.code, 2) << Describe(v);
  EXPECT_NE(v.err.find(w + ":3:12: field 'generators[0].count': expected at most 10000000 jobs"),
            std::string::npos)
      << Describe(v);
}

TEST_F(Cli, HugeNodesPerDomainDoesNotCrash) {
  const std::string f = Write("npd.yaml",
                              "node_types:\n"
                              "  - name: big\n"
                              "    gpu: h100\n"
                              "    gpus_per_node: 8\n"
                              "    nodes_per_domain: 2147483648\n"  // 5: value at column 23
                              "    max_power_kw: 10\n"
                              "sites:\n"
                              "  - name: lab\n"
                              "    power_budget_mw: 1\n"
                              "    domains: [{node_type: big}]\n");
  const Outcome r = Gpufleet("validate " + Quote(f));
  EXPECT_LT(r.code, 128) << Describe(r);
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_NE(r.err.find(f + ":5:23: "), std::string::npos) << Describe(r);
}

TEST_F(Cli, HugeNestedCountsDoNotCrash) {
  const std::string f = Write("nested.yaml",
                              "sites:\n"
                              "  - name: lab\n"
                              "    power_budget_mw: 1\n"
                              "    pods:\n"
                              "      - count: 10000000\n"
                              "        leaves:\n"
                              "          - count: 10000000\n"
                              "            domains:\n"
                              "              - {count: 10000000, node_type: gb200-nvl72}\n");
  const Outcome r = Gpufleet("validate " + Quote(f));
  EXPECT_LT(r.code, 128) << Describe(r);
  EXPECT_EQ(r.code, 2) << Describe(r);
}

// ---------------------------------------------------------------------------------------------
// Version and help.

TEST_F(Cli, Version) {
  const Outcome r = Gpufleet("--version");
  EXPECT_EQ(r.code, 0) << Describe(r);
  EXPECT_NE(r.out.find("gpufleet"), std::string::npos) << Describe(r);
}

void ExpectMentions(const Outcome& r, const std::vector<std::string>& words) {
  for (const std::string& w : words)
    EXPECT_NE(r.out.find(w), std::string::npos) << w << "\n" << Describe(r);
}

TEST_F(Cli, Help) {
  const Outcome r = Gpufleet("--help");
  EXPECT_EQ(r.code, 0) << Describe(r);
  ExpectMentions(r, {"--help", "--version", "sim", "validate", "fleet"});
}

TEST_F(Cli, SimHelp) {
  const Outcome r = Gpufleet("sim --help");
  EXPECT_EQ(r.code, 0) << Describe(r);
  ExpectMentions(r, {"--help", "--fleet", "--workload", "--policy", "--seed", "--until", "--report",
                     "--jobs-csv", "--events", "--bf-max-job-test", "--no-progress"});
}

TEST_F(Cli, ValidateHelp) {
  const Outcome r = Gpufleet("validate --help");
  EXPECT_EQ(r.code, 0) << Describe(r);
  ExpectMentions(r, {"--help", "files", "file:line:column"});
}

TEST_F(Cli, FleetShowHelp) {
  const Outcome r = Gpufleet("fleet show --help");
  EXPECT_EQ(r.code, 0) << Describe(r);
  ExpectMentions(r, {"--help", "--json", "file"});
}

TEST_F(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(Gpufleet("").code, 2);
  EXPECT_EQ(Gpufleet("no-such-command").code, 2);
  EXPECT_EQ(Gpufleet("sim --fleet").code, 2);
  EXPECT_EQ(Gpufleet("validate " + Quote(Path("missing.yaml"))).code, 2);
}

// ---------------------------------------------------------------------------------------------
// sim: bad options exit 2.

TEST_F(Cli, SimBadPolicy) {
  const Outcome r =
      Gpufleet("sim --fleet " + Quote(Source("examples/fleets/tiny.yaml")) + " --workload " +
               Quote(Source("examples/workloads/tiny.yaml")) + " --policy lottery");
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_NE(r.err.find("--policy"), std::string::npos) << Describe(r);
  EXPECT_NE(r.err.find("lottery"), std::string::npos) << Describe(r);
}

TEST_F(Cli, SimBadUntil) {
  for (const char* until : {"10", "-5m", "'5 minutes'", "soon"}) {
    SCOPED_TRACE(until);
    const Outcome r =
        Gpufleet("sim --fleet " + Quote(Source("examples/fleets/tiny.yaml")) + " --workload " +
                 Quote(Source("examples/workloads/tiny.yaml")) + " --until " + until);
    EXPECT_EQ(r.code, 2) << Describe(r);
    EXPECT_NE(r.err.find("--until"), std::string::npos) << Describe(r);
  }
}

TEST_F(Cli, SimSeriesGoesIntoTheReport) {
  const std::string base = "sim --fleet " + Quote(Source("examples/fleets/tiny.yaml")) +
                           " --workload " + Quote(Source("examples/workloads/tiny.yaml"));
  for (const char* bad : {"--series 30s --json", "--series soon --json", "--series"}) {
    SCOPED_TRACE(bad);
    const Outcome r = Gpufleet(base + " " + bad);
    EXPECT_EQ(r.code, 2) << Describe(r);
    EXPECT_NE(r.err.find("--series"), std::string::npos) << Describe(r);
  }
  // --series alone: 1 h intervals.
  const Outcome on = Gpufleet(base + " --series --report " + Quote(Path("series.json")));
  ASSERT_EQ(on.code, 0) << Describe(on);
  const nlohmann::json j = nlohmann::json::parse(ReadFile(Path("series.json")));
  const nlohmann::json& s = j.at("series");
  EXPECT_EQ(s["interval_s"].get<double>(), 3600);
  const size_t n = s["start_s"].size();
  ASSERT_GT(n, 0U);
  EXPECT_EQ(s["end_s"].get<double>(), j["makespan_s"].get<double>());
  for (const char* key : {"gpus_busy", "gpus_up", "queue_jobs", "queue_gpus", "nodes_up",
                          "nodes_down", "preemptions"})
    EXPECT_EQ(s[key].size(), n) << key;
  for (const char* key : {"gpus_busy_by_site", "gpus_busy_by_model", "gpus_busy_by_tenant"}) {
    ASSERT_FALSE(s[key].empty()) << key;
    for (const auto& [name, values] : s[key].items()) EXPECT_EQ(values.size(), n) << key << name;
  }
  for (const auto& [site, p] : s["sites"].items()) {
    for (const char* key : {"it_power_w", "facility_power_w", "pue", "gpu_cap"})
      EXPECT_EQ(p[key].size(), n) << site << key;
  }
  EXPECT_TRUE(s["interruptions"].contains("gpu"));
  // Without --series, no key: reports stay as they were.
  const Outcome off = Gpufleet(base + " --report " + Quote(Path("plain.json")));
  ASSERT_EQ(off.code, 0) << Describe(off);
  EXPECT_FALSE(nlohmann::json::parse(ReadFile(Path("plain.json"))).contains("series"));
}

TEST_F(Cli, SimHtmlIsOnePageWithTheReportInIt) {
  const std::string base = "sim --fleet " + Quote(Source("examples/fleets/tiny.yaml")) +
                           " --workload " + Quote(Source("examples/workloads/tiny.yaml"));
  const Outcome r =
      Gpufleet(base + " --html " + Quote(Path("r.html")) + " --report " + Quote(Path("r.json")));
  if (r.code == 1 && r.err.find("without uPlot") != std::string::npos)
    GTEST_SKIP() << "this build has no uPlot (scripts/install-web-deps needs npm): " << r.err;
  ASSERT_EQ(r.code, 0) << Describe(r);
  const std::string page = ReadFile(Path("r.html"));
  EXPECT_LT(page.size(), 1'000'000U);
  // The page's data is the run's report, its time series included (--html records one).
  const std::string open = "<script id=\"gpufleet-report\" type=\"application/json\">";
  const size_t begin = page.find(open);
  ASSERT_NE(begin, std::string::npos);
  const size_t end = page.find("</script>", begin);
  nlohmann::json embedded =
      nlohmann::json::parse(page.substr(begin + open.size(), end - begin - open.size()));
  nlohmann::json written = nlohmann::json::parse(ReadFile(Path("r.json")));
  EXPECT_TRUE(embedded.contains("series"));
  EXPECT_EQ(embedded["series"]["interval_s"].get<double>(), 3600);
  embedded["sim"].erase("wall_s");
  written["sim"].erase("wall_s");
  EXPECT_EQ(embedded, written);
  // Two outputs to one file are refused.
  const Outcome same =
      Gpufleet(base + " --html " + Quote(Path("x")) + " --report " + Quote(Path("x")));
  EXPECT_EQ(same.code, 2) << Describe(same);
}

TEST_F(Cli, CompareRunsSideBySideAsTextJsonOrHtmlAndRefusesOtherInputs) {
  const std::string tiny = "sim --fleet " + Quote(Source("examples/fleets/tiny.yaml")) +
                           " --workload " + Quote(Source("examples/workloads/tiny.yaml"));
  for (const char* policy : {"fifo", "priority"}) {
    const Outcome r = Gpufleet(tiny + " --policy " + policy + " --report " +
                               Quote(Path(std::string(policy) + ".json")));
    ASSERT_EQ(r.code, 0) << Describe(r);
  }
  const Outcome other =
      Gpufleet("sim --fleet " + Quote(Source("examples/fleets/multicloud.yaml")) + " --workload " +
               Quote(Source("examples/workloads/multicloud.yaml")) + " --report " +
               Quote(Path("other.json")));
  ASSERT_EQ(other.code, 0) << Describe(other);
  const std::string fifo = Quote(Path("fifo.json")), priority = Quote(Path("priority.json"));
  const Outcome table = Gpufleet("compare " + fifo + " " + priority);
  ASSERT_EQ(table.code, 0) << Describe(table);
  EXPECT_NE(table.out.find("(the baseline)"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("queue wait p95 (s)"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("B / A"), std::string::npos) << table.out;
  // The JSON's figures are the reports' own.
  const Outcome as_json = Gpufleet("compare --json " + fifo + " " + priority);
  ASSERT_EQ(as_json.code, 0) << Describe(as_json);
  const nlohmann::json c = nlohmann::json::parse(as_json.out);
  const nlohmann::json a = nlohmann::json::parse(ReadFile(Path("fifo.json")));
  const nlohmann::json b = nlohmann::json::parse(ReadFile(Path("priority.json")));
  bool found = false;
  for (const nlohmann::json& row : c["rows"]) {
    if (row["name"] != "JCT mean (s)") continue;
    found = true;
    EXPECT_EQ(row["values"][0].get<double>(), a["jobs"]["jct_s"]["mean"].get<double>());
    EXPECT_EQ(row["values"][1].get<double>(), b["jobs"]["jct_s"]["mean"].get<double>());
    EXPECT_EQ(row["diff"][0].get<double>(),
              b["jobs"]["jct_s"]["mean"].get<double>() - a["jobs"]["jct_s"]["mean"].get<double>());
  }
  EXPECT_TRUE(found) << as_json.out;
  // Another fleet and workload: refused, then compared with --force.
  const Outcome refused = Gpufleet("compare " + fifo + " " + Quote(Path("other.json")));
  EXPECT_EQ(refused.code, 2) << Describe(refused);
  EXPECT_NE(refused.err.find("the fleet differs"), std::string::npos) << Describe(refused);
  const Outcome forced = Gpufleet("compare --force " + fifo + " " + Quote(Path("other.json")));
  EXPECT_EQ(forced.code, 0) << Describe(forced);
  EXPECT_NE(forced.out.find("note: compared despite"), std::string::npos) << forced.out;
  // Not JSON, and one report alone.
  std::ofstream(Path("junk.json")) << "{not json";
  const Outcome junk = Gpufleet("compare " + fifo + " " + Quote(Path("junk.json")));
  EXPECT_EQ(junk.code, 2) << Describe(junk);
  EXPECT_NE(junk.err.find("junk.json: not JSON"), std::string::npos) << Describe(junk);
  EXPECT_EQ(Gpufleet("compare " + fifo).code, 2);
  // --html: one page with the comparison (as --json gives it) and what each run's report holds to
  // overlay; these reports have no series, which the page says rather than plotting.
  const std::string runs = fifo + " " + priority;
  const Outcome page = Gpufleet("compare " + runs + " --html " + Quote(Path("c.html")));
  if (page.code == 1 && page.err.find("without uPlot") != std::string::npos) return;
  ASSERT_EQ(page.code, 0) << Describe(page);
  EXPECT_NE(page.out.find("(the baseline)"), std::string::npos) << "the table is printed too";
  const nlohmann::json data = gpufleet::testing::PageData(ReadFile(Path("c.html")));
  ASSERT_TRUE(data.is_object());
  EXPECT_EQ(data["comparison"], c);
  ASSERT_EQ(data["runs"].size(), 2U);
  EXPECT_TRUE(data["runs"][0]["series"].is_null()) << "a report without --series has none";
  const Outcome both = Gpufleet("compare " + runs + " --json --html -");
  EXPECT_EQ(both.code, 2) << Describe(both);
}

TEST_F(Cli, SimFailuresAndPhysicsFlags) {
  const std::string base = "sim --fleet " + Quote(Source("examples/fleets/tiny.yaml")) +
                           " --workload " + Quote(Source("examples/workloads/tiny.yaml"));
  const Outcome bad = Gpufleet(base + " --failures sometimes");
  EXPECT_EQ(bad.code, 2) << Describe(bad);
  EXPECT_NE(bad.err.find("--failures"), std::string::npos) << Describe(bad);
  // Llama 3 rates x 1,000 would be needed to see much on 2 nodes; the report has the keys either
  // way, and without physics no energy is counted.
  const Outcome on = Gpufleet(base + " --failures llama3 --report " + Quote(Path("on.json")));
  ASSERT_EQ(on.code, 0) << Describe(on);
  const nlohmann::json j = nlohmann::json::parse(ReadFile(Path("on.json")));
  for (const char* key : {"interruptions", "lost_gpu_hours", "restart_gpu_hours", "by_category"})
    EXPECT_TRUE(j["failures"].contains(key)) << key;
  EXPECT_TRUE(j["jobs"]["ettr"].contains("mean"));
  EXPECT_TRUE(j["jobs"].contains("goodput"));
  EXPECT_GT(j["energy"]["it_mwh"].get<double>(), 0);
  const Outcome off = Gpufleet(base + " --no-physics --report " + Quote(Path("off.json")));
  ASSERT_EQ(off.code, 0) << Describe(off);
  const nlohmann::json k = nlohmann::json::parse(ReadFile(Path("off.json")));
  EXPECT_EQ(k["energy"]["it_mwh"].get<double>(), 0);
  EXPECT_TRUE(k["power"]["sites"].empty());
}

// ---------------------------------------------------------------------------------------------
// fleet show --json and sim outputs.

TEST_F(Cli, FleetShowJson) {
  const Outcome r =
      Gpufleet("fleet show " + Quote(Source("examples/fleets/tiny.yaml")) + " --json");
  ASSERT_EQ(r.code, 0) << Describe(r);
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  EXPECT_EQ(j.at("gpus").at("total").get<long long>(), 16);
  EXPECT_EQ(j.at("gpus").at("by_model").at("h100").get<long long>(), 16);
  EXPECT_EQ(j.at("nodes").get<long long>(), 2);
  ASSERT_TRUE(j.at("sites").is_array());
  ASSERT_EQ(j.at("sites").size(), 1u);
  const nlohmann::json& s = j.at("sites")[0];
  EXPECT_EQ(s.at("name").get<std::string>(), "lab");
  EXPECT_EQ(s.at("gpus").get<long long>(), 16);
  // 2 DGX H100 nodes at 10.2 kW each.
  EXPECT_NEAR(s.at("it_power_mw").get<double>(), 0.0204, 1e-9);
  EXPECT_NEAR(s.at("power_budget_mw").get<double>(), 0.05, 1e-12);
}

TEST_F(Cli, FleetShowTable) {
  const Outcome r = Gpufleet("fleet show " + Quote(Source("examples/fleets/tiny.yaml")));
  EXPECT_EQ(r.code, 0) << Describe(r);
  EXPECT_NE(r.out.find("lab"), std::string::npos) << Describe(r);
}

TEST_F(Cli, SimWritesReportJobsAndEvents) {
  const std::string report = Path("report.json"), jobs = Path("jobs.csv"),
                    events = Path("events.csv");
  const Outcome r =
      Gpufleet("sim --fleet " + Quote(Source("examples/fleets/tiny.yaml")) + " --workload " +
               Quote(Source("examples/workloads/tiny.yaml")) + " --report " + Quote(report) +
               " --jobs-csv " + Quote(jobs) + " --events " + Quote(events));
  ASSERT_EQ(r.code, 0) << Describe(r);

  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(ReadFile(report))) << ReadFile(report);
  ASSERT_TRUE(j.contains("jobs")) << j.dump(2);
  const nlohmann::json& jj = j.at("jobs");
  ASSERT_TRUE(jj.contains("submitted") && jj.contains("completed")) << j.dump(2);
  const long long submitted = jj.at("submitted").get<long long>();
  const long long completed = jj.at("completed").get<long long>();
  // 4 explicit jobs and 40 generated ones.
  EXPECT_EQ(submitted, 44);
  EXPECT_GE(completed, 0);
  EXPECT_LE(completed, submitted);
  for (const char* group : {"jct_s", "queue_s"}) {
    ASSERT_TRUE(jj.contains(group)) << group;
    for (const char* stat : {"mean", "p50", "p95", "p99"}) {
      ASSERT_TRUE(jj.at(group).contains(stat)) << group << "." << stat;
      EXPECT_TRUE(jj.at(group).at(stat).is_number()) << group << "." << stat;
      EXPECT_GE(jj.at(group).at(stat).get<double>(), 0) << group << "." << stat;
    }
  }
  ASSERT_TRUE(j.contains("gpus"));
  EXPECT_EQ(j.at("gpus").at("total").get<long long>(), 16);
  const double util = j.at("gpus").at("utilization").get<double>();
  EXPECT_GE(util, 0);
  EXPECT_LE(util, 1);
  ASSERT_TRUE(j.contains("makespan_s"));
  EXPECT_GT(j.at("makespan_s").get<double>(), 0);
  ASSERT_TRUE(j.contains("sim"));
  EXPECT_GT(j.at("sim").at("events").get<long long>(), 0);
  EXPECT_GE(j.at("sim").at("wall_s").get<double>(), 0);

  const std::vector<std::string> job_lines = Lines(ReadFile(jobs));
  ASSERT_FALSE(job_lines.empty());
  EXPECT_EQ(job_lines[0].rfind("id,name,", 0), 0u) << job_lines[0];
  EXPECT_EQ(static_cast<long long>(job_lines.size()), submitted + 1);

  const std::vector<std::string> event_lines = Lines(ReadFile(events));
  ASSERT_FALSE(event_lines.empty());
  EXPECT_EQ(event_lines[0], "time_s,event,job,detail");
  EXPECT_GT(event_lines.size(), 1u);
}

TEST_F(Cli, SimIsDeterministic) {
  const std::string args = "sim --fleet " + Quote(Source("examples/fleets/tiny.yaml")) +
                           " --workload " + Quote(Source("examples/workloads/tiny.yaml")) +
                           " --seed 7 --jobs-csv ";
  ASSERT_EQ(Gpufleet(args + Quote(Path("a.csv"))).code, 0);
  ASSERT_EQ(Gpufleet(args + Quote(Path("b.csv"))).code, 0);
  EXPECT_EQ(ReadFile(Path("a.csv")), ReadFile(Path("b.csv")));
}

TEST_F(Cli, SimUnwritableOutputFails) {
  const Outcome r = Gpufleet("sim --fleet " + Quote(Source("examples/fleets/tiny.yaml")) +
                             " --workload " + Quote(Source("examples/workloads/tiny.yaml")) +
                             " --report " + Quote(Path("no-such-dir/report.json")));
  EXPECT_EQ(r.code, 1) << Describe(r);
  EXPECT_NE(r.err.find("--report"), std::string::npos) << Describe(r);
}

}  // namespace
