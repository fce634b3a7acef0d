// Model files (spec/model_spec.h ParseModelSpec, `gpufleet plan train --model FILE`): any bytes
// give a model or an error that names the file; a model that parses is put on a few GPU counts as
// `plan train` does (JobOnGpus validates the parallelism).
#include <string>

#include "fuzz_support.h"
#include "spec/model_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace gpufleet;
  using namespace gpufleet::fuzz;
  const std::string name = "model.yaml";
  const std::string yaml(Input(data, size));
  NeverThrows("ParseModelSpec", [&] {
    const Result<ModelPreset> model = ParseModelSpec(yaml, name);
    if (!model.ok()) {
      CheckError("ParseModelSpec", model.message(), name);
      return;
    }
    for (std::int64_t gpus : {1, 8, 64, 4096, 16384}) {
      const Result<TrainingJob> job = JobOnGpus(model.value().job, gpus);
      if (!job.ok() && job.message().empty()) Broken("JobOnGpus", "an error without a message");
    }
  });
  return 0;
}
