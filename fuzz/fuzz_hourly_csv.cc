// Hourly series (spec/hourly_csv.h): any bytes give the values, each in range, or an error that
// names the file.
#include <cmath>
#include <string>

#include "fuzz_support.h"
#include "spec/hourly_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace gpufleet;
  using namespace gpufleet::fuzz;
  const std::string name = "hourly.csv";
  NeverThrows("ParseHourlyCsv", [&] {
    const Result<std::vector<double>> hours =
        ParseHourlyCsv(std::string(Input(data, size)), name, -90, 60, "a temperature");
    if (!hours.ok()) {
      CheckError("ParseHourlyCsv", hours.message(), name);
      return;
    }
    if (hours.value().size() < 24) Broken("ParseHourlyCsv", "fewer than 24 values");
    for (double v : hours.value()) {
      if (!(v >= -90 && v <= 60)) Broken("ParseHourlyCsv", "a value out of range");
    }
  });
  return 0;
}
