// Outputs of a run: the JSON report (keys documented in docs/REPORT.md), the terminal summary,
// the per-job CSV and the event log.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "model/fleet.h"
#include "report/metrics.h"
#include "sim/simulator.h"
#include "util/text.h"

namespace gpufleet {

nlohmann::ordered_json ReportJson(const Metrics& m);
void PrintSummary(std::ostream& out, const Metrics& m, const Fleet& fleet);
// One row per job (columns in docs/REPORT.md, "Jobs CSV"), in id order.
void WriteJobsCsv(std::ostream& out, const SimResult& result, const Fleet& fleet);
// The same rows one job at a time, as a run hands over its records (Simulator::set_job_sink): in
// the order jobs end, then those alive at the end in id order.
class JobsCsvWriter : public JobRecordSink {
 public:
  // Writes the header.
  JobsCsvWriter(std::ostream& out, const Fleet& fleet, const std::vector<Tenant>& tenants);
  void Take(JobId id, const JobRecord& r, const PendingReason* waiting) override;

 private:
  std::ostream& out_;
  const Fleet& fleet_;
  const std::vector<Tenant>& tenants_;
  std::string row_;  // reused for every row
};

// Writes each simulator event as a CSV row `time_s,event,job,detail`.
class CsvEventLog : public EventSink {
 public:
  explicit CsvEventLog(std::ostream& out);
  void Record(SimTime t, const char* event, JobId job, const std::string& detail) override;

 private:
  std::ostream& out_;
};

// A human duration for the terminal: 5400 s -> "1.5h".
std::string HumanSeconds(double s);
// A count and its noun, grouped and in the right number: "1 site", "1,024 jobs".
std::string Counted(std::int64_t n, const std::string& noun);
// An amount for the terminal: "12.3" below 100, else whole and grouped ("245,802").
std::string HumanAmount(double x);
// "$1,234" from $100 on, "$12.34" below.
std::string Dollars(double usd);
// The value, or null in JSON for none.
nlohmann::ordered_json NumberOrNull(const std::optional<double>& v);
// Power for the terminal: "1.2 MW", "1,200 MW", "50 kW" below 1 MW, "850 W" below 1 kW.
std::string HumanPower(double mw);
// Energy for the terminal: "1,234 MWh", "12.3 MWh", "40 kWh" below 1 MWh.
std::string HumanEnergy(double mwh);

}  // namespace gpufleet
