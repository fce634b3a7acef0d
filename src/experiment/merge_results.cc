#include "experiment/merge_results.h"

#include <algorithm>
#include <cstddef>

namespace gpufleet {
// Not in an anonymous namespace: clang (-Wundefined-internal) takes the conversion, which is only
// ever named in unevaluated contexts, for a use of an internal function without a definition
// once a member's constructor is a template (std::optional's).
namespace merge_results_detail {

// The number of members of an aggregate: the most initializers T{...} accepts. MergeResults
// below must merge every member of SimResult; the static_assert fails the build when one is added,
// so that the merge (and its test) are updated with it.
struct AnyMember {
  template <typename T>
  operator T() const;  // NOLINT: implicit on purpose, only in unevaluated contexts
};
template <typename T, typename... Members>
constexpr std::size_t MemberCount() {
  if constexpr (requires { T{Members{}..., AnyMember{}}; }) {
    return MemberCount<T, Members..., AnyMember>();
  } else {
    return sizeof...(Members);
  }
}
static_assert(MemberCount<SimResult>() == 25,
              "SimResult has a new member: merge it in MergeResults, test it in "
              "merge_results_test.cc, then update this count");

}  // namespace merge_results_detail

SimResult MergeResults(const std::vector<SideBySideRun>& runs) {
  SimResult all;
  for (const SideBySideRun& run : runs) {
    const SimResult& r = *run.result;
    const auto job_base = static_cast<JobId>(all.jobs.size());
    const auto tenant_base = static_cast<std::int32_t>(all.tenants.size());
    for (JobRecord j : r.jobs) {
      j.spec.tenant += tenant_base;
      all.jobs.push_back(std::move(j));
    }
    for (const auto& [id, reason] : r.rejections)
      all.rejections.emplace_back(job_base + id, reason);
    for (auto [id, why] : r.waiting) {
      if (why.blocker >= 0) why.blocker += job_base;
      all.waiting.emplace_back(job_base + id, why);
    }
    all.tenants.insert(all.tenants.end(), r.tenants.begin(), r.tenants.end());
    all.end_time = std::max(all.end_time, r.end_time);
    all.stopped_at_until = all.stopped_at_until || r.stopped_at_until;
    all.events += r.events;
    all.passes += r.passes;
    all.total_gpus += r.total_gpus;
    all.allocated_gpu_milli_ms += r.allocated_gpu_milli_ms;
    all.available_gpu_milli_ms += r.available_gpu_milli_ms;
    all.allocated_cpu_ms += r.allocated_cpu_ms;
    all.available_cpu_ms += r.available_cpu_ms;
    all.allocated_memory_ms += r.allocated_memory_ms;
    all.available_memory_ms += r.available_memory_ms;
    // An elastic site's index follows its run's sites, placed after the runs' before.
    for (SimResult::ElasticSite e : r.elastic) {
      e.site += static_cast<int>(all.sites.size());
      all.elastic.push_back(e);
    }
    all.sites.insert(all.sites.end(), r.sites.begin(), r.sites.end());
    for (size_t c = 0; c < all.failures.size(); ++c) {
      all.failures[c].events += r.failures[c].events;
      all.failures[c].interruptions += r.failures[c].interruptions;
      all.failures[c].lost_gpu_ms += r.failures[c].lost_gpu_ms;
    }
    all.outages.insert(all.outages.end(), r.outages.begin(), r.outages.end());
    all.checkpoint_copies += r.checkpoint_copies;
    all.copy_gpu_ms += r.copy_gpu_ms;
    all.checkpoint_egress_gb.insert(all.checkpoint_egress_gb.end(), r.checkpoint_egress_gb.begin(),
                                    r.checkpoint_egress_gb.end());
    all.node_failures += r.node_failures;
    all.node_repairs += r.node_repairs;
    // `series` stays empty: experiments record none (only `gpufleet sim --series` does).
  }
  // Every run's fleet stays available from its own end until the last run ends. (Added after the
  // measured integrals, in run order: the sums come out as they always have.)
  for (const SideBySideRun& run : runs) {
    const SimTime idle = all.end_time - run.result->end_time;
    all.available_gpu_milli_ms +=
        static_cast<long double>(run.result->total_gpus) * kMilliPerGpu * idle;
    all.available_cpu_ms += static_cast<long double>(run.cpu_milli) * idle;
    all.available_memory_ms += static_cast<long double>(run.memory_mib) * idle;
  }
  return all;
}

}  // namespace gpufleet
