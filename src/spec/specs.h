// Reading fleet and workload specs (YAML). The reference for both formats is docs/SPEC.md.
#pragma once

#include <string>

#include "model/fleet.h"
#include "util/result.h"
#include "workload/workload.h"

namespace gpufleet {

Result<Fleet> LoadFleet(const std::string& file);
// The fleet of `file` with only the sites named (in the file's order) and the links between them:
// one capacity option of `gpufleet plan capacity`. Names the file has not are left out (the caller
// checks them); none kept is an error.
Result<Fleet> LoadFleetSites(const std::string& file, const std::vector<std::string>& sites);
// `name` stands for the file name in error messages.
Result<Fleet> ParseFleet(const std::string& yaml, const std::string& name);

// The failure model `failure_model: {rates: llama3}` describes: Llama 3's rates by category, the
// default repair times and restart overhead (docs/MODELS.md, "Failures").
FailureModelSpec DefaultFailureModel();
Result<WorkloadSpec> LoadWorkload(const std::string& file);
Result<WorkloadSpec> ParseWorkload(const std::string& yaml, const std::string& name);

// A workload read as far as it goes: every error, and the items (jobs, generators, scripted
// failures, maintenance windows) that have none of their own. `validate` checks those against a
// fleet too, so that one run reports every problem, not the spec's first and the fleet's later.
struct PartialWorkload {
  WorkloadSpec spec;
  std::string errors;  // one per line; empty: the whole workload read cleanly
};
PartialWorkload LoadWorkloadAsFarAsItGoes(const std::string& file);

// A job submitted to the control plane (`POST /v1/jobs`, issue 10): a workload file's job, as
// strict JSON, each field of one JSON type (docs/SPEC.md, "Job requests") - the same fields, limits
// and located errors ("request:1:12: field 'gpus': ..."), all at once, unknown keys refused - with
// these differences: `command` (what the agents run, under `sh -c`) and `estimate` (what the
// scheduler plans with) are required; `duration` is optional (a hollow agent "runs" the job that
// long); the server sets `submit` and the token's tenant, so a request naming either is refused, as
// is `training` (its model file would be read on the server). `name` stands for the request in
// errors.
struct JobRequestSpec {
  ExplicitJobSpec job;  // job.job.duration: the estimate when no duration is given
  bool duration_given = false;
  std::string command;
};
// The most a command may hold: a script belongs in a file the command runs.
inline constexpr size_t kMaxCommandBytes = 64 * 1024;
Result<JobRequestSpec> ParseJobRequest(const std::string& body, const std::string& name);

}  // namespace gpufleet

namespace gpufleet {

enum class SpecKind { kFleet, kWorkload };
// A fleet has `sites`; a workload has `jobs` or `generators`. Syntax errors are reported here too.
Result<SpecKind> DetectSpecKind(const std::string& file);

}  // namespace gpufleet
