// Readers for the Pollux study's data (../shared/traces/pollux-osdi21/): the applications'
// profiles (validation-<B>.csv, placements.csv), the derived spread table
// (nd_throughput_table.csv) and the workloads (workload-N.csv). Every error names the file,
// line, field and what was expected.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "progress/application.h"
#include "util/result.h"
#include "util/time.h"

namespace gpufleet {

// The applications by name, each from <profiles>/<name>/; the study's constants (§3.1: epochs,
// yolov3's max local batch of 8, ncf's single GPU) are applied by name.
using PolluxApplications = std::map<std::string, Application>;

// Reads the six applications of the study from `profiles_dir` and the spread table
// `spread_table` (application,num_nodes,num_replicas,local_bsz,step_time,sync_time).
Result<PolluxApplications> LoadPolluxApplications(const std::string& profiles_dir,
                                                  const std::string& spread_table);

// One application from its folder, with explicit constants (tests and other studies).
struct ApplicationConstants {
  int max_epochs = 0;
  int max_local_bsz = 0;  // 0: the largest local_bsz in placements.csv
  int max_replicas_cap = 0;
};
Result<Application> LoadApplication(const std::string& dir, const std::string& name,
                                    const ApplicationConstants& constants);

// A job of a workload file, in file order (the order breaks every tie).
struct PolluxJob {
  std::string name;
  SimTime submit = 0;  // the file's `time`, whole seconds
  std::string application;
  int replicas = 0;    // num_replicas: the GPU count of policies with fixed sizes
  int batch_size = 0;  // the total batch size
};

// `name,time,application,num_replicas,batch_size`; applications must be among `apps` and
// batch sizes within their validated range.
Result<std::vector<PolluxJob>> LoadPolluxWorkload(const std::string& path,
                                                  const PolluxApplications& apps);

}  // namespace gpufleet
