#include "report/series_json.h"

#include "model/failure.h"

namespace gpufleet {

nlohmann::ordered_json SeriesJson(const TimeSeries& s) {
  using json = nlohmann::ordered_json;
  json start = json::array();
  for (SimTime t : s.start) start.push_back(ToSeconds(t));
  auto named = [](const std::vector<TimeSeries::Named>& series) {
    json out = json::object();
    for (const TimeSeries::Named& n : series) out[n.name] = n.values;
    return out;
  };
  json j = {{"interval_s", ToSeconds(s.interval)},
            {"start_s", start},
            {"end_s", ToSeconds(s.end)},
            {"gpus_busy", s.gpus_busy},
            {"gpus_up", s.gpus_up},
            {"gpus_busy_by_site", named(s.gpus_busy_by_site)},
            {"gpus_busy_by_model", named(s.gpus_busy_by_model)},
            {"gpus_busy_by_tenant", named(s.gpus_busy_by_tenant)},
            {"queue_jobs", s.queue_jobs},
            {"queue_gpus", s.queue_gpus},
            {"nodes_up", s.nodes_up},
            {"nodes_down", s.nodes_down}};
  json sites = json::object();
  for (const TimeSeries::SitePower& p : s.sites) {
    sites[p.name] = {{"budget_w", p.budget_w},
                     {"it_power_w", p.it_power_w},
                     {"facility_power_w", p.facility_power_w},
                     {"pue", p.pue},
                     {"gpu_cap", p.gpu_cap}};
  }
  j["sites"] = sites;
  json interruptions = json::object();
  for (size_t c = 0; c < s.interruptions.size(); ++c) {
    interruptions[FailureCategoryName(static_cast<FailureCategory>(c))] = s.interruptions[c];
  }
  j["interruptions"] = interruptions;
  j["preemptions"] = s.preemptions;
  return j;
}

nlohmann::ordered_json DistributionsJson(const Distributions& d) {
  using json = nlohmann::ordered_json;
  auto one = [](const Distributions::Quantiles& q) { return json{{"count", q.count}, {"p", q.p}}; };
  auto many = [&one](const std::vector<Distributions::Quantiles>& qs) {
    json out = json::object();
    for (const Distributions::Quantiles& q : qs) out[q.name] = one(q);
    return out;
  };
  return {{"jct_s",
           {{"all", one(d.jct_all)},
            {"by_tenant", many(d.jct_by_tenant)},
            {"by_size", many(d.jct_by_size)}}},
          {"queue_s",
           {{"all", one(d.queue_all)},
            {"by_tenant", many(d.queue_by_tenant)},
            {"by_size", many(d.queue_by_size)}}}};
}

}  // namespace gpufleet
