// Limits beyond free GPUs that decide whether a placement may start: the power budget of the sites
// it lands in (docs/MODELS.md, "Power-aware scheduling"). The scheduler asks before it starts a
// job and reports every start and stop, so the guard can keep its own account of what runs.
#pragma once

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

}  // namespace gpufleet
