// Trace importers (trace/trace.h): one executable per format, this file built with
// GPUFLEET_FUZZ_FORMAT set to the format as the command line writes it. Any bytes give jobs or an
// error that names the file, with and without --skip-bad-rows; the jobs a trace gives are in
// submission order from 0, each with GPUs, a duration and a tenant that exists.
//
// The importers read files by path, so the input is written to the scratch folder first. Formats
// that read two files take them separated by a line `%%` (fuzz_support.h): pai (the task table,
// then the job table) and gavel (the trace, then simulation_throughputs.json). Besides the job
// formats: openb-nodes and pai-machines (fleets from machine lists, LoadTraceFleet) and philly-vc
// (virtual-cluster sizes, LoadVcQuotas).
#include <string>

#include "fuzz_support.h"
#include "trace/trace.h"

#ifndef GPUFLEET_FUZZ_FORMAT
#error "GPUFLEET_FUZZ_FORMAT names the format this target reads"
#endif

namespace gpufleet::fuzz {
namespace {

const std::string kFormat = GPUFLEET_FUZZ_FORMAT;

void CheckJobs(const TraceJobs& t) {
  const char* reader = "LoadTrace";
  if (t.job_models.size() != t.jobs.size()) Broken(reader, "job_models and jobs differ in size");
  SimTime last = 0;
  for (const JobSpec& j : t.jobs) {
    if (j.submit < last) Broken(reader, "jobs out of submission order");
    last = j.submit;
    if (j.gpus < 1) Broken(reader, "a job without GPUs");
    if (j.duration <= 0) Broken(reader, "a job without a duration");
    if (j.tenant < 0 || static_cast<size_t>(j.tenant) >= t.tenants.size())
      Broken(reader, "a job of a tenant that does not exist");
  }
  if (!t.jobs.empty() && t.jobs.front().submit != 0) Broken(reader, "the first job not at 0");
}

void ReadJobs(std::string_view input) {
  Result<TraceArg> arg = ParseTraceArg(kFormat + ":x");
  if (!arg.ok()) Broken("ParseTraceArg", arg.message());
  TraceOptions options;
  const std::vector<std::string_view> files = SplitFiles(input);
  // Errors name the file they are about: the trace, or a file in its folder (pai), or the
  // throughputs beside it (gavel).
  std::string named;
  if (arg.value().format == TraceFormat::kPai2020) {
    arg.value().path = named = FreshScratchDir("pai");
    WriteScratch("pai/pai_task_table.csv", files[0]);
    if (files.size() > 1) WriteScratch("pai/pai_job_table.csv", files[1]);
  } else if (arg.value().format == TraceFormat::kGavel) {
    arg.value().path = WriteScratch("gavel/trace.txt", files[0]);
    named = ScratchDir() + "/gavel/";
    options.gavel_throughputs = WriteScratch("gavel/simulation_throughputs.json",
                                             files.size() > 1 ? files[1] : std::string_view());
  } else {
    arg.value().path = named = WriteScratch("trace", input);
  }
  for (bool skip : {false, true}) {
    options.skip_bad_rows = skip;
    NeverThrows("LoadTrace", [&] {
      const Result<TraceJobs> t = LoadTrace(arg.value(), options);
      if (t.ok()) {
        CheckJobs(t.value());
      } else {
        CheckError("LoadTrace", t.message(), named);
      }
    });
  }
}

}  // namespace
}  // namespace gpufleet::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace gpufleet;
  using namespace gpufleet::fuzz;
  const std::string_view input = Input(data, size);
  if (kFormat == "openb-nodes" || kFormat == "pai-machines") {
    const std::string path = WriteScratch("machines.csv", input);
    NeverThrows("LoadTraceFleet", [&] {
      const Result<TraceFleet> f = LoadTraceFleet(kFormat + ":" + path);
      if (!f.ok()) CheckError("LoadTraceFleet", f.message(), path);
    });
  } else if (kFormat == "philly-vc") {
    const std::string path = WriteScratch("vc.csv", input);
    NeverThrows("LoadVcQuotas", [&] {
      const auto quotas = LoadVcQuotas(path, 8);
      if (!quotas.ok()) CheckError("LoadVcQuotas", quotas.message(), path);
    });
  } else {
    ReadJobs(input);
  }
  return 0;
}
