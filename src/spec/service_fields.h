// A workload's `services:` entry (docs/SPEC.md, "Services"): read strictly, as the other specs,
// and checked against the physics it names - the replica must hold the model's weights and the
// largest request's KV cache, and the SLO must be within reach of an idle replica serving the
// smallest request - so that a service that can never serve is refused where it is written.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/job.h"
#include "spec/yaml_reader.h"
#include "workload/service_spec.h"

namespace gpufleet {

// The most tokens a request's prompt or output may have in a spec.
inline constexpr std::int64_t kMaxRequestTokens = 2'000'000;
// The most replicas one service may have.
inline constexpr std::int64_t kMaxServiceReplicas = 100'000;
// The largest tensor parallelism of a replica (GB200 NVL72's domain holds 72 GPUs).
inline constexpr std::int64_t kMaxReplicaGpus = 72;

// The service at `node` (`path`: "services[i]"), or nullopt when it is not a mapping; errors are
// recorded in `r` and the service is returned as far as it was read. `tenants` are the workload's.
std::optional<ServiceSpec> ReadService(SpecReader& r, const YAML::Node& node,
                                       const std::string& path, const std::vector<Tenant>& tenants);

}  // namespace gpufleet
