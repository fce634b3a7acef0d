#include "experiment/pollux.h"

#include <algorithm>
#include <filesystem>

namespace gpufleet {

Result<std::vector<PolluxWorkload>> LoadPolluxWorkloads(const std::string& dir,
                                                        const PolluxApplications& apps) {
  namespace fs = std::filesystem;
  std::vector<std::pair<long, std::string>> files;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("workload-", 0) != 0 || e.path().extension() != ".csv") continue;
    const std::string digits = name.substr(9, name.size() - 13);
    if (digits.empty() || digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    files.emplace_back(std::stol(digits), e.path().string());
  }
  if (ec) return Error{dir + ": cannot list the folder: " + ec.message()};
  if (files.empty()) return Error{dir + ": expected workload-<N>.csv files, found none"};
  std::sort(files.begin(), files.end());
  std::vector<PolluxWorkload> out;
  for (const auto& [n, path] : files) {
    Result<std::vector<PolluxJob>> jobs = LoadPolluxWorkload(path, apps);
    if (!jobs.ok()) return jobs.error();
    out.push_back(PolluxWorkload{"workload-" + std::to_string(n), std::move(jobs).value()});
  }
  return out;
}

Result<PolluxRun> RunPolluxWorkload(const PolluxWorkload& workload, const PolluxApplications& apps,
                                    RoundPolicyKind policy, const RoundOptions& options) {
  std::vector<RoundJob> jobs;
  jobs.reserve(workload.jobs.size());
  for (const PolluxJob& j : workload.jobs) {
    auto app = apps.find(j.application);
    if (app == apps.end()) return Error{workload.name + ": unknown application " + j.application};
    jobs.push_back(RoundJob{j.name, &app->second, j.submit, j.replicas, j.batch_size});
  }
  std::unique_ptr<RoundPolicy> p = MakeRoundPolicy(policy, options.cluster);
  Result<RoundResult> r = RunRounds(jobs, *p, options);
  if (!r.ok()) return Error{workload.name + ": " + r.message()};
  PolluxRun run;
  run.workload = workload.name;
  run.rounds = std::move(r).value();
  double sum = 0;  // seconds, as the study averages them
  for (size_t i = 0; i < jobs.size(); ++i) {
    run.jct.push_back(run.rounds.completion_time[i] - jobs[i].submit);
    sum += ToSeconds(run.jct.back());
  }
  run.average_jct_s = jobs.empty() ? 0 : sum / static_cast<double>(jobs.size());
  return run;
}

}  // namespace gpufleet
