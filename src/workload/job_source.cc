#include <algorithm>

#include "workload/workload.h"

namespace gpufleet {

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
