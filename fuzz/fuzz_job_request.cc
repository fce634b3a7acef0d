// Job submissions to the control plane (spec/specs.h ParseJobRequest, the body of POST /v1/jobs):
// any bytes give a job or an error that names the request. A job that parses has GPUs, a positive
// estimate and duration, and a command within bounds.
#include <string>

#include "fuzz_support.h"
#include "spec/specs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace gpufleet;
  using namespace gpufleet::fuzz;
  const std::string name = "request";
  const std::string body(Input(data, size));
  NeverThrows("ParseJobRequest", [&] {
    const Result<JobRequestSpec> r = ParseJobRequest(body, name);
    if (!r.ok()) {
      CheckError("ParseJobRequest", r.message(), name);
      return;
    }
    const JobSpec& j = r.value().job.job;
    if (j.gpus < 1 || j.estimate <= 0 || j.duration <= 0)
      Broken("ParseJobRequest", "a job without GPUs, estimate or duration");
    if (r.value().command.empty() || r.value().command.size() > kMaxCommandBytes)
      Broken("ParseJobRequest", "a command that is empty or too long");
  });
  return 0;
}
