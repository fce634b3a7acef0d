#include "spec/specs.h"
#include "spec/yaml_reader.h"

namespace gpufleet {

Result<SpecKind> DetectSpecKind(const std::string& file) {
  SpecReader r(file);
  const YAML::Node root = r.Load();
  if (!r.ok()) return Error{r.Errors()};
  if (root["sites"]) return SpecKind::kFleet;
  if (root["jobs"] || root["generators"] || root["services"]) return SpecKind::kWorkload;
  return Error{file +
               ":1:1: cannot tell what this spec is: a fleet has 'sites', a workload has 'jobs', "
               "'generators' or 'services'"};
}

}  // namespace gpufleet
