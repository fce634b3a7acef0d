// Fleet specs (spec/specs.h ParseFleet, DetectSpecKind): any bytes give a fleet or an error that
// names the file. Hourly files a site names (`climate: {file: ...}`, `carbon_g_per_kwh: {file:
// ...}`) resolve beside the spec, in the scratch folder, which holds a valid one (hourly.csv).
#include <string>

#include "fuzz_support.h"
#include "spec/specs.h"

namespace gpufleet::fuzz {
namespace {

std::string HourlyFile() {
  std::string hours;
  for (int h = 0; h < 48; ++h) hours += std::to_string(10 + h % 24) + "\n";
  return hours;
}

}  // namespace
}  // namespace gpufleet::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace gpufleet;
  using namespace gpufleet::fuzz;
  static const std::string name = [] {
    WriteScratch("hourly.csv", HourlyFile());
    return ScratchDir() + "/fleet.yaml";
  }();
  const std::string yaml(Input(data, size));
  NeverThrows("ParseFleet", [&] {
    const Result<Fleet> fleet = ParseFleet(yaml, name);
    if (!fleet.ok()) CheckError("ParseFleet", fleet.message(), name);
  });
  NeverThrows("DetectSpecKind", [&] {
    const std::string path = WriteScratch("detect.yaml", yaml);
    const Result<SpecKind> kind = DetectSpecKind(path);
    if (!kind.ok()) CheckError("DetectSpecKind", kind.message(), path);
  });
  return 0;
}
