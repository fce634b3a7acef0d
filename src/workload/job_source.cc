#include "workload/job_source.h"

#include <algorithm>

namespace gpufleet {

namespace {
bool SubmittedBefore(const JobSpec& a, const JobSpec& b) { return a.submit < b.submit; }
}  // namespace

VectorJobSource::VectorJobSource(std::vector<JobSpec> jobs) : jobs_(std::move(jobs)) {
  // Traces arrive sorted; only an unsorted list (explicit jobs of a spec) pays for the sort.
  if (!std::is_sorted(jobs_.begin(), jobs_.end(), SubmittedBefore))
    std::stable_sort(jobs_.begin(), jobs_.end(), SubmittedBefore);
}

bool VectorJobSource::Next(JobSpec& out) {
  if (next_ >= jobs_.size()) return false;
  out = std::move(jobs_[next_++]);
  return true;
}

MergedSource::MergedSource(std::vector<std::unique_ptr<JobSource>> sources)
    : sources_(std::move(sources)), heads_(sources_.size()), live_(sources_.size(), false) {
  for (size_t i = 0; i < sources_.size(); ++i) live_[i] = sources_[i]->Next(heads_[i]);
}

bool MergedSource::Next(JobSpec& out) {
  // A handful of sources: a linear scan beats a heap and keeps ties in source order.
  size_t best = sources_.size();
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (live_[i] && (best == sources_.size() || heads_[i].submit < heads_[best].submit)) best = i;
  }
  if (best == sources_.size()) return false;
  out = std::move(heads_[best]);
  live_[best] = sources_[best]->Next(heads_[best]);
  return true;
}

}  // namespace gpufleet
