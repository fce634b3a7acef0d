// The Pollux study's profiles (trace/pollux.h LoadPolluxApplications): any bytes give the
// applications or an error that names the file. The input is one application's folder and the
// spread table, separated by lines `%%` (fuzz_support.h): bert's placements.csv, then
// nd_throughput_table.csv, then validation files, each a first line with its file name
// (validation-64.csv) and its rows. The five other applications are small valid folders. Loaded
// data is then used as the study uses it: batch configurations, step times, statistical gains.
#include <string>

#include "fuzz_support.h"
#include "trace/pollux.h"

namespace gpufleet::fuzz {
namespace {

// A file name from the input, kept inside its folder: letters, digits, '.', '-' and '_' only.
std::string SafeName(std::string_view line) {
  std::string name;
  for (char c : line.substr(0, 40)) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') name += c;
  }
  return name == "." || name == ".." ? "" : name;
}

// A valid application folder for `epochs` epochs.
void WriteApplication(const std::string& dir, int epochs) {
  std::string rows = "progress,iteration,metric,grad_sqr,grad_var\n";
  for (int e = 1; e <= epochs; ++e) {
    rows += std::to_string(100 * e) + "," + std::to_string(10 * e) + ",0,1.5,2.5\n";
  }
  WriteScratch(dir + "/validation-64.csv", rows);
  WriteScratch(dir + "/validation-256.csv", rows);
  WriteScratch(dir + "/placements.csv",
               "placement,local_bsz,step_time,sync_time\n1,8,0.1,0.01\n1,64,0.4,0.01\n"
               "2,8,0.12,0.03\n2,64,0.5,0.03\n");
}

void UseApplication(const Application& app) {
  for (int replicas : {1, 2, 3, 8, 64}) {
    for (int batch : {app.init_batch_size, app.max_batch_size, 1000}) {
      const BatchConfig c = ConfigureBatch(app, replicas, batch);
      if (c.atomic_bsz <= 0) continue;
      Result<ProfileStepTime> t = LookupStepTime(app, PackedPlacement(replicas, 4), c.atomic_bsz);
      if (t.ok()) (void)IterationSeconds(t.value(), c.accum_steps);
      for (int epoch : {0, 1, app.max_epochs - 1}) {
        Result<double> gain = StatisticalGain(app, batch, epoch);
        Result<double> its = IterationsAfter(app, batch, epoch);
        (void)gain.ok(), (void)its.ok();
      }
    }
  }
}

}  // namespace
}  // namespace gpufleet::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace gpufleet;
  using namespace gpufleet::fuzz;
  static const std::string profiles = [] {
    for (const auto& [name, epochs] : {std::pair<const char*, int>{"cifar10", 100},
                                       {"deepspeech2", 80},
                                       {"imagenet", 90},
                                       {"ncf", 10},
                                       {"yolov3", 50}}) {
      WriteApplication(std::string("profiles/") + name, epochs);
    }
    return ScratchDir() + "/profiles";
  }();
  const std::vector<std::string_view> files = SplitFiles(Input(data, size));
  FreshScratchDir("profiles/bert");
  WriteScratch("profiles/bert/placements.csv", files[0]);
  const std::string spread =
      WriteScratch("nd_throughput_table.csv", files.size() > 1 ? files[1] : std::string_view());
  for (size_t i = 2; i < files.size(); ++i) {
    const size_t eol = std::min(files[i].find('\n'), files[i].size());
    const std::string name = SafeName(files[i].substr(0, eol));
    if (name.empty()) continue;
    WriteScratch("profiles/bert/" + name, files[i].substr(std::min(eol + 1, files[i].size())));
  }
  NeverThrows("LoadPolluxApplications", [&] {
    const Result<PolluxApplications> apps = LoadPolluxApplications(profiles, spread);
    if (!apps.ok()) {
      // Every file it reads is under the scratch folder.
      CheckError("LoadPolluxApplications", apps.message(), ScratchDir());
      return;
    }
    UseApplication(apps.value().at("bert"));
  });
  return 0;
}
