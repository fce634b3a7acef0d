// Helios (SenseTime, Hu et al. SC'21) cluster_log.csv and Acme (Shanghai AI Lab, Hu et al.
// NSDI'24) trace_seren.csv / trace_kalos.csv: one row per job with a submission timestamp, a
// run duration in seconds and a total GPU count. Helios groups jobs into virtual clusters (`vc`);
// Acme has none, so its tenants are its users.
#include "trace/datetime.h"
#include "trace/importer.h"

namespace gpufleet::trace_internal {

Result<TraceJobs> LoadHeliosOrAcme(const TraceArg& arg, const TraceOptions& options) {
  const bool acme = arg.format == TraceFormat::kAcme;
  Result<CsvFile> opened = CsvFile::Open(arg.path);
  if (!opened.ok()) return opened.error();
  CsvFile& f = opened.value();
  const char* names[5] = {"job_id", acme ? "user" : "vc", "gpu_num", "submit_time", "duration"};
  int col[5];
  for (int i = 0; i < 5; ++i) {
    Result<int> c = f.Column(names[i]);
    if (!c.ok()) return c.error();
    col[i] = c.value();
  }
  TraceBuilder b(arg, options);
  while (f.Next()) {
    b.CountRow();
    if (Status q = b.CheckRow(f); !q.ok()) return Error{q.message()};
    if (f.unterminated_quote()) continue;
    const std::optional<double> submit = ParseDateTime(f.Field(col[3]));
    if (!submit) {
      Status s =
          b.BadRow(Error{f.Where(col[3]) + "expected a timestamp like 2020-04-01 08:00:00, got '" +
                         std::string(f.Field(col[3])) + "'"},
                   "submit_time: not a timestamp");
      if (!s.ok()) return Error{s.message()};
      continue;
    }
    Status fail;
    const auto gd = b.ReadGpusAndDuration(f, col[2], col[4], fail);
    if (!fail.ok()) return Error{fail.message()};
    if (!gd) continue;
    JobSpec j;
    j.name = std::string(f.Field(col[0]));
    if (j.name.empty()) j.name = (acme ? "acme-" : "helios-") + std::to_string(f.line() - 1);
    j.gpus = gd->gpus;
    j.duration = gd->duration;
    j.estimate = j.duration;
    const std::string tenant(f.Field(col[1]));
    j.tenant = static_cast<std::int32_t>(b.Tenant(tenant.empty() ? "unknown" : tenant));
    b.Add(std::move(j), *submit);
  }
  return b.Finish(/*absolute_times=*/true);
}

}  // namespace gpufleet::trace_internal
