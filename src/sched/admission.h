// Limits beyond free GPUs that decide whether a placement may start: the power budget of the sites
// it lands in (docs/MODELS.md, "Power-aware scheduling"). The scheduler asks before it starts a
// job and reports every start and stop, so the guard can keep its own account of what runs.
#pragma once

#include <cstdint>
#include <vector>

#include "model/fleet.h"
#include "sched/allocation.h"

namespace gpufleet {

class AdmissionGuard {
 public:
  virtual ~AdmissionGuard() = default;
  // Appends the sites (topology ids) that cannot take `a` now, with the allocations in `leaving`
  // stopped first (preemption victims); nothing appended: admitted.
  virtual void Refusing(const Allocation& a, const std::vector<const Allocation*>& leaving,
                        std::vector<TopoId>& sites) const = 0;
  // The most GPUs of the models `r` allows that a job could ever hold inside one subtree of its
  // constraint level with nothing else running: larger jobs are rejected at submission.
  virtual std::int64_t MostGpusEver(const GangRequest& r) const = 0;
  virtual void Started(const Allocation& a) = 0;
  virtual void Stopped(const Allocation& a) = 0;
};

// Whether a job takes a placement it was offered: a training job refuses one whose network would
// slow it below what it asks (docs/MODELS.md, "Step time"). Refused, the job waits.
class PlacementJudge {
 public:
  virtual ~PlacementJudge() = default;
  virtual bool Accepts(std::int32_t job, const Allocation& a) = 0;
};

}  // namespace gpufleet
