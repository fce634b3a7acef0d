// A run that hands its job records to a sink as they become final (what `gpufleet sim` does, so
// that memory follows the jobs alive) reports exactly what a run keeping every record reports:
// the same JSON report and the same jobs CSV rows, only in the order the jobs ended.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "report/report.h"
#include "sim/simulator.h"
#include "spec/specs.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

struct TallyAndCsv : JobRecordSink {
  TallyAndCsv(const Fleet& fleet, const std::vector<Tenant>& tenants)
      : tally(tenants, true), csv(rows, fleet, tenants) {}
  void Take(JobId id, const JobRecord& r, const PendingReason* waiting) override {
    tally.Add(r, id);
    csv.Take(id, r, waiting);
    ++taken;
  }
  JobTally tally;
  std::ostringstream rows;
  JobsCsvWriter csv;
  std::size_t taken = 0;
};

// The CSV's lines after the header, sorted by their id column.
std::vector<std::string> RowsById(const std::string& csv) {
  std::vector<std::pair<long, std::string>> rows;
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) rows.emplace_back(std::stol(line.substr(0, line.find(','))), line);
  std::sort(rows.begin(), rows.end());
  std::vector<std::string> out;
  for (auto& [id, row] : rows) out.push_back(std::move(row));
  return out;
}

// The first line where two texts differ, both ways; empty when they are equal.
std::string FirstDifference(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string p, q;
  for (int line = 1;; ++line) {
    const bool more_x = static_cast<bool>(std::getline(x, p));
    const bool more_y = static_cast<bool>(std::getline(y, q));
    if (!more_x && !more_y) return "";
    if (!more_x || !more_y || p != q) return "line " + std::to_string(line) + ": " + p + " | " + q;
  }
}

struct Case {
  const char* policy;
  SimTime launch_delay, grace, until;
};

TEST(JobSink, ARunThatForgetsFinishedJobsReportsWhatOneKeepingThemDoes) {
  // The multicloud example: 110,001 jobs on three sites with failures (interrupted jobs leave
  // stale finish events behind), cut at 3 days so that jobs are running and waiting at the end (and
  // the test stays short under the sanitizers); with preemptions under `priority`, launch and grace
  // periods too.
  Result<Fleet> fleet = LoadFleet(testing::SourcePath("examples/fleets/multicloud.yaml"));
  ASSERT_TRUE(fleet.ok()) << fleet.message();
  Result<WorkloadSpec> spec =
      LoadWorkload(testing::SourcePath("examples/workloads/multicloud.yaml"));
  ASSERT_TRUE(spec.ok()) << spec.message();
  for (const Case& c :
       {Case{"backfill", 0, 0, 3 * kDay}, Case{"priority", 5 * kMinute, 10 * kMinute, 3 * kDay}}) {
    SimOptions options;
    options.scheduler.policy = c.policy;
    options.launch_delay = c.launch_delay;
    options.preemption_grace = c.grace;
    options.until = c.until;
    options.series_interval = kHour;  // the distributions too
    auto run = [&](JobRecordSink* sink, std::size_t* peak) {
      Result<BoundWorkload> bound = BindWorkload(spec.value(), fleet.value(), 3);
      EXPECT_TRUE(bound.ok()) << bound.message();
      Simulator sim(fleet.value(), std::move(bound).value(), options);
      if (sink != nullptr) sim.set_job_sink(sink);
      SimResult r = sim.Run();
      *peak = sim.peak_records();
      return r;
    };
    std::size_t peak_all = 0, peak_alive = 0;
    const SimResult all = run(nullptr, &peak_all);
    const SimResult probe = all;  // for the tenants
    TallyAndCsv sink(fleet.value(), probe.tenants);
    const SimResult streamed = run(&sink, &peak_alive);
    SCOPED_TRACE(c.policy);
    EXPECT_TRUE(streamed.jobs.empty());
    EXPECT_EQ(sink.taken, all.jobs.size());
    EXPECT_EQ(peak_all, all.jobs.size());
    // Alive at once: far fewer than ever submitted.
    EXPECT_LT(peak_alive * 4, all.jobs.size()) << peak_alive;
    const RunInfo info{"f", "w", c.policy, 3, c.until, 0, {}, "", "", ""};
    const Metrics kept = ComputeMetrics(all, info);
    const Metrics tallied = std::move(sink.tally).Finish(streamed, info);
    EXPECT_GT(kept.completed, 0);
    EXPECT_GT(kept.pending_at_end + kept.running_at_end, 0);
    EXPECT_EQ(FirstDifference(ReportJson(kept).dump(1), ReportJson(tallied).dump(1)), "");
    std::ostringstream whole;
    WriteJobsCsv(whole, all, fleet.value());
    EXPECT_EQ(whole.str().substr(0, whole.str().find('\n')),
              sink.rows.str().substr(0, sink.rows.str().find('\n')));
    EXPECT_TRUE(RowsById(whole.str()) == RowsById(sink.rows.str())) << "jobs CSV rows differ";
  }
}

}  // namespace
}  // namespace gpufleet
