// What a simulation run makes of its records, shared by `gpufleet sim` and `gpufleet plan
// capacity`: the job sink that counts them for the report (and writes the jobs CSV), the
// services' requests served again as their replicas ran, and the metrics completed after the run
// (power, outages, elastic sites). `SimulateSpec` is the whole run of a workload spec on a fleet,
// for callers that need only its metrics.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "report/metrics.h"
#include "report/report.h"
#include "sim/simulator.h"
#include "trace/service_jobs.h"
#include "util/result.h"
#include "workload/workload.h"

namespace gpufleet::cli {

// The run's job records as they become final: counted for the report and written to the jobs CSV
// at once, so that the run keeps only the jobs alive (docs/PERFORMANCE.md, "Scale").
struct RunJobs : JobRecordSink {
  RunJobs(const std::vector<Tenant>& tenants, bool distributions) : tally(tenants, distributions) {}
  void Take(JobId id, const JobRecord& r, const PendingReason* waiting) override;
  // Records each service replica's runs (the simulator's run observer).
  void Observe(Simulator& sim);

  JobTally tally;
  // Each service's replicas' job ids, and their runs in the simulator.
  std::vector<std::vector<JobId>> replicas;
  std::unordered_map<JobId, std::vector<ReplicaRunSpan>> runs;
  std::optional<JobsCsvWriter> csv;
  std::vector<std::string> rejected_names;
};

// After the run: each service's requests served again as its replicas ran, beside the autoscaler's
// figures (which took each replica as placed when asked); a replica the run never saw (asked for
// after its end) counts as never placed; each service's requests that arrived during each outage
// are counted apart (its wall time added to m.run.services_wall_s). Then the power figures (with
// `physics`), the outages and the elastic sites.
Status CompleteMetrics(Metrics& m, const Fleet& fleet, const SimResult& result,
                       const std::vector<SimulatedService>& services, RunJobs& jobs,
                       const std::vector<BoundOutage>& outages, bool physics);

// A site whose spot nodes are taken back at random for as long as a run goes (nullptr: none): a
// run on it needs a horizon (--until), or a job that can never finish there would keep it going
// for ever.
const Site* SpotSiteNeedingHorizon(const Fleet& fleet);

// The whole run of `spec` on `fleet` with `seed` and `options` (its horizon options.until): the
// workload bound, its services' replicas added as `autoscaled` asked for them (AutoscaleServices
// of the same spec, seed and until, shared by runs on several fleets), simulated, and its
// metrics. An error names what the workload asks that the fleet cannot give (the caller checked
// the spec against the fleet).
Result<Metrics> SimulateSpec(const Fleet& fleet, const WorkloadSpec& spec, std::uint64_t seed,
                             const SimOptions& options, RunInfo info,
                             const std::vector<AutoscaledService>& autoscaled);

}  // namespace gpufleet::cli
