#include "cli/capacity_page.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "report/report.h"

namespace gpufleet::cli {
namespace {

using ojson = nlohmann::ordered_json;

ojson At(const ojson& j, const char* pointer) {
  const ojson::json_pointer p(pointer);
  return j.contains(p) ? j[p] : ojson(nullptr);
}

// Dollars in millions, to the thousand: the options differ by millions.
ojson Millions(const ojson& usd) {
  if (!usd.is_number()) return nullptr;
  return std::round(usd.get<double>() / 1e3) / 1e3 + 0.0;  // + 0.0: no "-0"
}

// A share in percent, to 0.01.
ojson Percent(const ojson& share) {
  if (!share.is_number()) return nullptr;
  return std::round(share.get<double>() * 1e4) / 1e2;
}

ojson Rounded(const ojson& x) {
  if (!x.is_number()) return nullptr;
  return std::llround(x.get<double>());
}

// The lowest and highest of a by-seed list (nulls without one).
std::pair<ojson, ojson> LowHigh(const ojson& values) {
  if (!values.is_array() || values.empty()) return {nullptr, nullptr};
  std::vector<std::int64_t> v;
  for (const ojson& x : values) v.push_back(x.get<std::int64_t>());
  return {*std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
}

}  // namespace

FiguresPage CapacityPlanPage(const std::string& command, const ojson& plan) {
  const ojson& options = plan["options"];
  const int seeds = plan.value("seeds", 1);
  const bool several = seeds > 1;
  const std::int64_t first_seed = plan.value("seed", std::int64_t{1});
  FiguresPage page("Capacity options for " + plan.value("demand", std::string()), command);
  page.Figures(
      "plan", "The plan",
      {{"fleet", At(plan, "/fleet")},
       {"options", options.size()},
       {"policy", At(plan, "/policy")},
       {"dispatch", At(plan, "/dispatch")},
       {"first seed", first_seed},
       {"seeds", seeds},
       {"until (days)", plan["until_s"].is_number() ? ojson(plan["until_s"].get<double>() / 86400)
                                                    : ojson(nullptr)},
       {"runs", At(plan, "/runs")},
       {"wall time (s)", std::round(plan.value("wall_s", 0.0) * 10) / 10}});
  if (several) {
    page.Note("Each figure is the mean over the " + std::to_string(seeds) +
              " seeds' runs (one seed's run is one schedule); the lowest and highest columns give "
              "the seeds' spread of the deadline figures.");
  }
  std::vector<std::string> header{"option",      "GPUs",         "cost ($M)",
                                  "rent ($M)",   "capex ($M)",   "electricity ($M)",
                                  "egress ($M)", "deadlines met"};
  if (several) {
    header.push_back("lowest");
    header.push_back("highest");
  }
  for (const char* h : {"of deadlines", "jobs done", "queue wait p99 (h)", "SLO met (%)",
                        "energy (MWh)", "carbon (t)"})
    header.emplace_back(h);
  std::vector<std::vector<ojson>> rows;
  for (const ojson& o : options) {
    std::vector<ojson> row{o["name"],
                           o["gpus"],
                           Millions(o["cost_usd"]),
                           Millions(o["rent_usd"]),
                           Millions(o["capex_usd"]),
                           Millions(o["electricity_usd"]),
                           Millions(o["egress_usd"]),
                           At(o, "/deadlines/met")};
    if (several) {
      auto [low, high] = LowHigh(At(o, "/deadlines_met_by_seed"));
      row.push_back(low);
      row.push_back(high);
    }
    row.push_back(At(o, "/deadlines/jobs"));
    row.push_back(At(o, "/jobs/completed"));
    row.push_back(o["queue_p99_s"].is_number() ? ojson(o["queue_p99_s"].get<double>() / 3600)
                                               : ojson(nullptr));
    row.push_back(Percent(o["slo_attainment"]));
    row.push_back(Rounded(o["energy_mwh"]));
    row.push_back(Rounded(o["carbon_t"]));
    rows.push_back(std::move(row));
  }
  page.Table("options", "The options", header, rows);
  if (several) {
    // Each seed's deadlines met, an option a line: how far apart the options are beside how far
    // one option's schedules are.
    FiguresPage::Plot p;
    p.id = "deadlines-by-seed";
    p.title = "Deadlines met, seed by seed";
    p.unit = "training runs that met their deadline";
    p.x_label = "seed";
    p.x_name = "seed";
    for (int k = 0; k < seeds; ++k) p.x.push_back(static_cast<double>(first_seed + k));
    for (const ojson& o : options) {
      const ojson by_seed = At(o, "/deadlines_met_by_seed");
      if (!by_seed.is_array()) continue;
      FiguresPage::Line line{o["name"].get<std::string>(), {}, false};
      for (const ojson& v : by_seed) line.values.emplace_back(v.get<double>());
      p.lines.push_back(std::move(line));
    }
    if (!p.lines.empty()) page.AddPlot(std::move(p));
  }
  // The risk: each provider of each option down.
  std::vector<std::vector<ojson>> risk;
  for (const ojson& o : options) {
    for (const ojson& r : o["risk"]) {
      std::vector<ojson> row{o["name"], r["provider_down"], Millions(r["extra_cost_usd"]),
                             At(r, "/deadlines/met"), r["deadlines_lost"]};
      if (several) {
        auto [low, high] = LowHigh(At(r, "/deadlines_lost_by_seed"));
        row.push_back(low);
        row.push_back(high);
      }
      row.push_back(Percent(r["slo_attainment_during"]));
      row.push_back(Rounded(r["training_gpu_hours_lost"]));
      row.push_back(r["jobs_interrupted"]);
      row.push_back(r["not_restarted"]);
      risk.push_back(std::move(row));
    }
  }
  if (!risk.empty()) {
    const ojson at = At(plan, "/risk/at_s"), span = At(plan, "/risk/for_s");
    std::vector<std::string> h{"option", "down", "extra cost ($M)", "deadlines met",
                               "deadlines lost"};
    if (several) {
      h.push_back("lowest");
      h.push_back("highest");
    }
    for (const char* c : {"SLO met during (%)", "training GPU-hours lost", "jobs interrupted",
                          "not restarted by the end"})
      h.emplace_back(c);
    page.Table("risk",
               "Risk: each provider of each option down for " + HumanSeconds(span.get<double>()) +
                   " from " + HumanSeconds(at.get<double>()),
               h, risk);
  }
  // What training loses to serving (--serving-cost).
  std::vector<std::vector<ojson>> serving;
  for (const ojson& o : options) {
    if (!o.contains("without_services")) continue;
    const ojson& w = o["without_services"];
    std::vector<ojson> row{o["name"], At(o, "/deadlines/met"), At(w, "/deadlines/met"),
                           w["deadlines_lost_to_serving"]};
    if (several) {
      auto [low, high] = LowHigh(At(w, "/deadlines_lost_to_serving_by_seed"));
      row.push_back(low);
      row.push_back(high);
    }
    row.push_back(Rounded(o["training_gpu_hours"]));
    row.push_back(Rounded(w["training_gpu_hours"]));
    serving.push_back(std::move(row));
  }
  if (!serving.empty()) {
    std::vector<std::string> h{"option", "deadlines met", "without the services",
                               "lost to serving"};
    if (several) {
      h.push_back("lowest");
      h.push_back("highest");
    }
    h.emplace_back("training GPU-hours");
    h.emplace_back("without the services");
    page.Table("serving", "What training loses to serving: each option again without the services",
               h, serving);
  }
  page.Record(plan);
  return page;
}

}  // namespace gpufleet::cli
