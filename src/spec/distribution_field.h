// A distribution field of a spec: a scalar (fixed) or {dist: fixed | choice | lognormal |
// empirical, ...} (docs/SPEC.md, "Distributions"). The values are read by the caller's reader, so
// that a distribution of GPUs, durations, token counts or names checks each value as that field
// would alone.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "spec/yaml_reader.h"
#include "workload/distribution.h"

namespace gpufleet {

struct DistributionValues {
  // One value, as a double (GPUs, milliseconds, tokens, a name's index), or nullopt after an
  // error naming `field`.
  std::function<std::optional<double>(const YAML::Node& n, const std::string& field)> read;
  // Names (indices): only fixed and choice make sense.
  bool names = false;
  // Not empty: a lognormal of these values must give its `max`, and this is the error's text.
  std::string lognormal_needs_max;
};

// nullopt when `n` is absent (silently) or after recording an error.
std::optional<Distribution> ReadDistribution(SpecReader& r, const YAML::Node& n,
                                             const std::string& field,
                                             const DistributionValues& values);

}  // namespace gpufleet
