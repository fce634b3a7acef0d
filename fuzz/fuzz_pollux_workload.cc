// The Pollux study's workloads (trace/pollux.h LoadPolluxWorkload): any bytes give jobs or an
// error that names the file. The applications are made up here (only their names and batch
// ranges matter to the reader).
#include <string>

#include "fuzz_support.h"
#include "trace/pollux.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace gpufleet;
  using namespace gpufleet::fuzz;
  static const PolluxApplications apps = [] {
    PolluxApplications a;
    for (const auto& [name, lo, hi] : {std::tuple<const char*, int, int>{"cifar10", 64, 4096},
                                       {"ncf", 256, 32768},
                                       {"bert", 12, 384}}) {
      Application app;
      app.name = name;
      app.init_batch_size = lo;
      app.max_batch_size = hi;
      a.emplace(name, std::move(app));
    }
    return a;
  }();
  const std::string path = WriteScratch("workload.csv", Input(data, size));
  NeverThrows("LoadPolluxWorkload", [&] {
    const Result<std::vector<PolluxJob>> jobs = LoadPolluxWorkload(path, apps);
    if (!jobs.ok()) {
      CheckError("LoadPolluxWorkload", jobs.message(), path);
      return;
    }
    for (const PolluxJob& j : jobs.value()) {
      if (j.submit < 0 || j.replicas < 1 || !apps.contains(j.application))
        Broken("LoadPolluxWorkload", "a job that is not valid");
    }
  });
  return 0;
}
