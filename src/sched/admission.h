// Limits beyond free GPUs that decide whether a placement may start: the power budget of the sites
// it lands in (docs/MODELS.md, "Power-aware scheduling"). The scheduler asks before it starts a
// job and reports every start and stop, so the guard can keep its own account of what runs.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "model/allocation.h"
#include "model/fleet.h"
#include "model/job.h"
#include "sched/gang_request.h"

namespace gpufleet {

class AdmissionGuard {
 public:
  virtual ~AdmissionGuard() = default;
  // What runs on GPUs: an allocation and how hard its GPUs work, as the fraction of the way from
  // idle to TDP power they draw (1: training at TDP).
  struct Load {
    const Allocation* allocation;
    double utilization;
  };
  // Appends the sites (topology ids) that cannot take `load` now, with the loads in `leaving`
  // stopped first (preemption victims); nothing appended: admitted.
  virtual void Refusing(const Load& load, const std::vector<Load>& leaving,
                        std::vector<TopoId>& sites) const = 0;
  // The most GPUs of the models `r` allows that a job could ever hold inside one subtree of its
  // constraint level with nothing else running: larger jobs are rejected at submission.
  virtual std::int64_t MostGpusEver(const GangRequest& r) const = 0;
  // The share of site `site`'s (index) power budget left for new jobs, as admission counts them
  // (0 to 1); nullopt where the guard keeps no account of it. The power-aware dispatch prefers
  // the most, so that no site nears its budget (and caps) while another has power to spare.
  virtual std::optional<double> HeadroomShare(int /*site*/) const { return std::nullopt; }
  virtual void Started(const Load& load) = 0;
  virtual void Stopped(const Load& load) = 0;
};

// Whether a job takes a placement it was offered: a training job refuses one whose network would
// slow it below what it asks (docs/MODELS.md, "Step time"). Refused, the job waits.
class PlacementJudge {
 public:
  virtual ~PlacementJudge() = default;
  virtual bool Accepts(JobId job, const Allocation& a) = 0;
};

}  // namespace gpufleet
