#include "cli/experiment_pages.h"

#include <algorithm>
#include <map>
#include <utility>

namespace gpufleet::cli {
namespace {

using ojson = nlohmann::ordered_json;

// A plot of percentiles 0..100 of several groups (the CDF on its side, so that the groups share
// the percentile axis), on an asinh scale that holds the zero waits.
FiguresPage::Plot PercentilePlot(std::string id, std::string title,
                                 const std::vector<Distributions::Quantiles>& groups) {
  FiguresPage::Plot p;
  p.id = std::move(id);
  p.title = std::move(title);
  p.unit = "seconds (asinh scale)";
  p.x_label = "percentile of the completed jobs";
  p.x_name = "percentile";
  p.asinh_y = true;
  for (int i = 0; i <= 100; ++i) p.x.push_back(i);
  for (const Distributions::Quantiles& q : groups) {
    if (q.count == 0) continue;
    FiguresPage::Line line{q.name + " (" + std::to_string(q.count) + ")", {}, false};
    for (double v : q.p) line.values.push_back(v);
    p.lines.push_back(std::move(line));
  }
  return p;
}

ojson At(const ojson& j, const char* pointer) {
  const ojson::json_pointer p(pointer);
  return j.contains(p) ? j[p] : ojson(nullptr);
}

}  // namespace

FiguresPage VcReplayPage(const std::string& command, const ojson& report, const Distributions& d) {
  FiguresPage page("Virtual-cluster replay: " + At(report, "/run/workload").get<std::string>() +
                       ", policy " + At(report, "/run/policy").get<std::string>(),
                   command);
  page.Figures("replay", "The replay",
               {{"jobs submitted", At(report, "/jobs/submitted")},
                {"jobs completed", At(report, "/jobs/completed")},
                {"jobs rejected (larger than their cluster)", At(report, "/jobs/rejected")},
                {"GPUs", At(report, "/gpus/total")},
                {"GPU utilization", At(report, "/gpus/utilization")},
                {"JCT mean (s)", At(report, "/jobs/jct_s/mean")},
                {"JCT p50 (s)", At(report, "/jobs/jct_s/p50")},
                {"JCT p99 (s)", At(report, "/jobs/jct_s/p99")},
                {"queue wait mean (s)", At(report, "/jobs/queue_s/mean")},
                {"queue wait p99 (s)", At(report, "/jobs/queue_s/p99")}});
  std::vector<std::vector<ojson>> rows;
  for (const ojson& vc : At(report, "/vcs")) {
    rows.push_back({vc["name"], vc["gpus"], vc["submitted"], vc["completed"], vc["jct_s"]["mean"],
                    vc["jct_s"]["p50"], vc["jct_s"]["p99"], vc["queue_s"]["mean"],
                    vc["queue_s"]["p99"]});
  }
  page.Table("vcs", "By virtual cluster",
             {"virtual cluster", "GPUs", "jobs", "completed", "JCT mean (s)", "JCT p50 (s)",
              "JCT p99 (s)", "queue mean (s)", "queue p99 (s)"},
             rows);
  page.AddPlot(PercentilePlot("jct-by-vc", "Job completion time by percentile, by virtual cluster",
                              d.jct_by_tenant));
  page.AddPlot(PercentilePlot("queue-by-vc", "Queue wait by percentile, by virtual cluster",
                              d.queue_by_tenant));
  page.Record(report);
  return page;
}

FiguresPage OpenbPage(const std::string& command, std::int64_t total_gpus, double tune,
                      const std::vector<OpenbPageRun>& runs) {
  FiguresPage page("GPU-sharing placement (openb)", command);
  // workload -> policy -> its runs, in the order first seen.
  std::vector<std::string> workloads, policies;
  std::map<std::pair<std::string, std::string>, std::vector<const OpenbPageRun*>> by;
  for (const OpenbPageRun& r : runs) {
    if (std::find(workloads.begin(), workloads.end(), r.workload) == workloads.end())
      workloads.push_back(r.workload);
    if (std::find(policies.begin(), policies.end(), r.policy) == policies.end())
      policies.push_back(r.policy);
    by[{r.workload, r.policy}].push_back(&r);
  }
  page.Figures("study", "The study",
               {{"cluster GPUs", total_gpus},
                {"arrived GPU demand (x capacity)", tune},
                {"workloads", static_cast<std::int64_t>(workloads.size())},
                {"policies", static_cast<std::int64_t>(policies.size())},
                {"runs", static_cast<std::int64_t>(runs.size())}});
  // The mean over a group's seeds of a curve, where every seed has a value.
  auto mean = [](const std::vector<const OpenbPageRun*>& group, bool allocation, int x) {
    double sum = 0;
    for (const OpenbPageRun* r : group) {
      const std::optional<double>& v = allocation ? r->allocation[static_cast<size_t>(x)]
                                                  : r->fragmentation[static_cast<size_t>(x)];
      if (!v) return std::optional<double>();
      sum += *v;
    }
    return group.empty() ? std::optional<double>() : sum / static_cast<double>(group.size());
  };
  std::vector<std::vector<ojson>> rows;
  ojson record = ojson::array();
  for (const std::string& w : workloads) {
    for (bool allocation : {true, false}) {
      FiguresPage::Plot p;
      p.id = (allocation ? "allocation-" : "fragmentation-") + w;
      p.title = std::string(allocation ? "GPUs allocated" : "Fragmented GPUs") +
                " against arrived GPU demand: " + w;
      p.unit =
          allocation ? "% of the cluster's GPUs allocated" : "% of the cluster's GPUs fragmented";
      p.x_label = "arrived GPU demand (% of the cluster's GPUs)";
      p.x_name = "arrived (%)";
      for (int x = 0; x <= 130; ++x) p.x.push_back(x);
      for (const std::string& policy : policies) {
        FiguresPage::Line line{policy, {}, false};
        for (int x = 0; x <= 130; ++x) line.values.push_back(mean(by[{w, policy}], allocation, x));
        p.lines.push_back(std::move(line));
      }
      page.AddPlot(std::move(p));
    }
    for (const std::string& policy : policies) {
      const std::vector<const OpenbPageRun*>& group = by[{w, policy}];
      double arrivals = 0, failed = 0;
      for (const OpenbPageRun* r : group) {
        arrivals += static_cast<double>(r->arrivals);
        failed += static_cast<double>(r->failed);
      }
      const double n = static_cast<double>(group.size());
      const std::optional<double> last = mean(group, true, 130);
      rows.push_back({w, policy, group.size(), arrivals / n, failed / n,
                      last ? ojson(*last) : ojson(nullptr)});
      record.push_back({{"workload", w},
                        {"policy", policy},
                        {"seeds", group.size()},
                        {"arrivals_mean", arrivals / n},
                        {"failed_mean", failed / n},
                        {"allocated_pct_at_130", last ? ojson(*last) : ojson(nullptr)}});
    }
  }
  page.Table(
      "policies", "By workload and policy (means over the seeds)",
      {"workload", "policy", "seeds", "pods arrived", "pods failed", "allocated at 130% (%)"},
      rows);
  page.Record({{"total_gpus", total_gpus}, {"tune", tune}, {"policies", record}});
  return page;
}

FiguresPage PolluxPage(const std::string& command, const std::string& policy, double round_s,
                       const std::vector<PolluxPageRun>& runs) {
  FiguresPage page("Pollux baselines: policy " + policy, command);
  double mean = 0;
  for (const PolluxPageRun& r : runs) mean += r.average_jct_s;
  mean = runs.empty() ? 0 : mean / static_cast<double>(runs.size());
  page.Figures("study", "The study",
               {{"policy", policy},
                {"round (s)", round_s},
                {"workloads", static_cast<std::int64_t>(runs.size())},
                {"mean of the average JCTs (s)", mean}});
  std::vector<std::vector<ojson>> rows;
  ojson record = ojson::array();
  std::vector<Distributions::Quantiles> groups;
  for (const PolluxPageRun& r : runs) {
    rows.push_back({r.workload, r.jct_s.size(), r.average_jct_s, r.restarts, r.makespan_s});
    record.push_back({{"workload", r.workload},
                      {"jobs", r.jct_s.size()},
                      {"average_jct_s", r.average_jct_s},
                      {"restarts", r.restarts},
                      {"makespan_s", r.makespan_s}});
    groups.push_back({r.workload, static_cast<std::int64_t>(r.jct_s.size()), Percentiles(r.jct_s)});
  }
  page.Table("workloads", "By workload",
             {"workload", "jobs", "average JCT (s)", "restarts", "makespan (s)"}, rows);
  page.AddPlot(
      PercentilePlot("jct-by-workload", "Job completion time by percentile, by workload", groups));
  page.Record({{"policy", policy},
               {"round_s", round_s},
               {"mean_average_jct_s", mean},
               {"workloads", record}});
  return page;
}

}  // namespace gpufleet::cli
