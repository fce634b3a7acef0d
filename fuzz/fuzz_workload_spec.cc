// Workload specs (spec/specs.h ParseWorkload): any bytes give a workload or an error that names
// the file. A workload that parses is bound to a small fleet of two GPU models and two sites, as
// `gpufleet sim` does, and its first jobs are drawn: what a spec lets through must be usable.
// Model files a training job names resolve beside the spec, in the scratch folder, which holds a
// valid one (model.yaml).
#include <string>

#include "fuzz_support.h"
#include "small_fleet.h"
#include "spec/specs.h"

namespace {

constexpr const char* kModel = R"(
name: small
layers: 24
hidden: 2048
heads: 16
seq_len: 2048
vocab: 32000
global_batch_tokens: 1048576
)";

// Jobs drawn from a workload that binds: enough to run every generator a few times.
constexpr int kJobsDrawn = 2000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace gpufleet;
  using namespace gpufleet::fuzz;
  static const Fleet* fleet = [] {
    WriteScratch("model.yaml", kModel);
    return &SmallFleet();
  }();
  static const std::string name = ScratchDir() + "/workload.yaml";
  const std::string yaml(Input(data, size));
  NeverThrows("ParseWorkload", [&] {
    const Result<WorkloadSpec> spec = ParseWorkload(yaml, name);
    if (!spec.ok()) {
      CheckError("ParseWorkload", spec.message(), name);
      return;
    }
    Result<BoundWorkload> bound = BindWorkload(spec.value(), *fleet, 7);
    if (!bound.ok()) {
      CheckError("BindWorkload", bound.message(), name);
      return;
    }
    JobSpec job;
    SimTime last = 0;
    for (int i = 0; i < kJobsDrawn && bound.value().source->Next(job); ++i) {
      if (job.submit < last) Broken("BindWorkload", "jobs out of submission order");
      last = job.submit;
    }
  });
  return 0;
}
