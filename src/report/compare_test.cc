#include "report/compare.h"

#include <gtest/gtest.h>

namespace gpufleet {
namespace {

using json = nlohmann::json;

// A report as `gpufleet sim --report` writes one, with only the keys the comparison reads.
json Report(const std::string& policy, double queue_p95, double preemptions) {
  return json::parse(R"({
    "run": {"fleet": "f.yaml", "workload": "w.yaml", "policy": ")" +
                     policy + R"(", "seed": 1,
            "until_s": null, "fleet_fingerprint": "aaaa", "workload_fingerprint": "bbbb"},
    "jobs": {"submitted": 10, "queue_s": {"p95": )" +
                     std::to_string(queue_p95) + R"(},
             "preemptions": )" +
                     std::to_string(preemptions) + R"(, "ettr": {"mean": null}},
    "tenants": [{"name": "research", "gpu_hours": 8.0}],
    "power": {"sites": [{"name": "abilene", "peak_mw": 2.5}]}
  })");
}

const Comparison::Row* Find(const Comparison& c, const std::string& name) {
  for (const Comparison::Row& r : c.rows)
    if (r.name == name) return &r;
  return nullptr;
}

TEST(CompareRuns, EachRunAgainstTheBaselineWithItsDifferenceAndRatio) {
  // Queue wait p95: 100 s under fifo, 150 s under backfill (+50, x1.5), 80 s under priority
  // (-20, x0.8). Preemptions 0, 0 and 3: no ratio against a baseline of 0.
  json priority = Report("priority", 80, 3);
  priority["tenants"].push_back({{"name", "vision"}, {"gpu_hours", 2.0}});
  const Result<Comparison> c = CompareRuns({{"fifo.json", Report("fifo", 100, 0)},
                                            {"backfill.json", Report("backfill", 150, 0)},
                                            {"priority.json", priority}},
                                           false);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c.value().runs[1], "backfill.json (\"backfill\", seed 1)");
  EXPECT_TRUE(c.value().notes.empty());
  const Comparison::Row* wait = Find(c.value(), "queue wait p95 (s)");
  ASSERT_NE(wait, nullptr);
  EXPECT_EQ(wait->values, (std::vector<std::optional<double>>{100, 150, 80}));
  EXPECT_EQ(wait->diff, (std::vector<std::optional<double>>{50, -20}));
  EXPECT_EQ(wait->ratio, (std::vector<std::optional<double>>{1.5, 0.8}));
  const Comparison::Row* preempted = Find(c.value(), "preemptions");
  ASSERT_NE(preempted, nullptr);
  EXPECT_EQ(preempted->diff, (std::vector<std::optional<double>>{0, 3}));
  EXPECT_EQ(preempted->ratio, (std::vector<std::optional<double>>{std::nullopt, std::nullopt}));
  // A figure no run has (ETTR of no completed job) is left out; a tenant only one run has is
  // shown with the others' missing.
  EXPECT_EQ(Find(c.value(), "ETTR mean"), nullptr);
  const Comparison::Row* vision = Find(c.value(), "tenant vision: GPU-hours");
  ASSERT_NE(vision, nullptr);
  EXPECT_EQ(vision->values, (std::vector<std::optional<double>>{std::nullopt, std::nullopt, 2}));
  EXPECT_EQ(vision->diff, (std::vector<std::optional<double>>{std::nullopt, std::nullopt}));
  ASSERT_NE(Find(c.value(), "site abilene: peak IT power (MW)"), nullptr);
  const json j = ComparisonJson(c.value());
  EXPECT_EQ(j["rows"][0]["name"], "jobs submitted");
}

TEST(CompareRuns, RunsOfOtherInputsAreRefusedUnlessForced) {
  json other_fleet = Report("backfill", 150, 0);
  other_fleet["run"]["fleet"] = "g.yaml";
  other_fleet["run"]["fleet_fingerprint"] = "cccc";
  const Result<Comparison> refused =
      CompareRuns({{"a.json", Report("fifo", 100, 0)}, {"b.json", other_fleet}}, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("the fleet differs: a.json has \"f.yaml\" (fingerprint "
                                   "\"aaaa\"), b.json has \"g.yaml\" (fingerprint \"cccc\")"),
            std::string::npos)
      << refused.message();
  EXPECT_NE(refused.message().find("--force"), std::string::npos);
  const Result<Comparison> forced =
      CompareRuns({{"a.json", Report("fifo", 100, 0)}, {"b.json", other_fleet}}, true);
  ASSERT_TRUE(forced.ok());
  ASSERT_EQ(forced.value().notes.size(), 1U);
  EXPECT_NE(forced.value().notes[0].find("fleet differs"), std::string::npos);

  json longer = Report("fifo", 100, 0);
  longer["run"]["until_s"] = 86400;
  const Result<Comparison> horizon =
      CompareRuns({{"a.json", Report("fifo", 100, 0)}, {"b.json", longer}}, false);
  ASSERT_FALSE(horizon.ok());
  EXPECT_NE(horizon.message().find("horizon (--until) differs"), std::string::npos);

  json old = Report("fifo", 100, 0);
  old["run"].erase("fleet_fingerprint");
  const Result<Comparison> unknown =
      CompareRuns({{"old.json", old}, {"b.json", Report("fifo", 100, 0)}}, false);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("old.json has no run.fleet_fingerprint"), std::string::npos)
      << unknown.message();

  // Not a report at all: refused even when forced.
  const Result<Comparison> junk =
      CompareRuns({{"a.json", Report("fifo", 100, 0)}, {"list.json", json::array()}}, true);
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.message().find("list.json: not a report"), std::string::npos);
  EXPECT_FALSE(CompareRuns({{"a.json", Report("fifo", 100, 0)}}, false).ok());
}

}  // namespace
}  // namespace gpufleet
