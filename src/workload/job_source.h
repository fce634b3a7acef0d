// Streams of jobs in submission order: what the simulator pulls arrivals from, one job at a time,
// so that a million-job workload never sits in memory twice.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "model/job.h"

namespace gpufleet {

// Jobs in non-decreasing submission order. Generators and trace importers implement this too.
class JobSource {
 public:
  virtual ~JobSource() = default;
  // Fills `out` and returns true, or returns false when the source is exhausted.
  virtual bool Next(JobSpec& out) = 0;
};

// Jobs held in a list: a workload's explicit jobs, a trace, one virtual cluster's share of one.
// They are put in submission order once (stable: equal times keep the list's order), so a list
// already in order comes out as it went in.
class VectorJobSource : public JobSource {
 public:
  explicit VectorJobSource(std::vector<JobSpec> jobs);
  bool Next(JobSpec& out) override;

 private:
  std::vector<JobSpec> jobs_;
  std::size_t next_ = 0;
};

// Merges sources by submission time; equal times go in source order (deterministic).
class MergedSource : public JobSource {
 public:
  explicit MergedSource(std::vector<std::unique_ptr<JobSource>> sources);
  bool Next(JobSpec& out) override;

 private:
  std::vector<std::unique_ptr<JobSource>> sources_;
  std::vector<JobSpec> heads_;
  std::vector<bool> live_;
};

}  // namespace gpufleet
