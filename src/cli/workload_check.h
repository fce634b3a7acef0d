// What only the fleet can tell about a workload, for `validate` and `sim`: GPU models and failure
// targets it names, jobs that can never run on it (the scheduler's own check at submission), and
// the load it offers to each GPU model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "sched/shared_gpu.h"
#include "workload/workload.h"

namespace gpufleet::cli {

struct FleetCheck {
  // Complete messages. Errors: a GPU model or failure target the fleet lacks, an explicit job the
  // scheduler refuses (it can never run here). Warnings: generators some of whose jobs can never
  // run here (the scheduler rejects them when they arrive).
  std::vector<std::string> errors, warnings;
};
// A service whose replicas cannot be placed on the fleet: wider than its largest NVLink domain of
// the service's GPU model, or its least replicas more GPUs than the fleet has of that model; ""
// when they can (the model must be in the fleet).
std::string ServicePlacementError(const ServiceSpec& s, const Fleet& fleet);
// Every problem, not only the first; `file` names the workload in messages.
FleetCheck CheckAgainstFleet(const WorkloadSpec& w, const Fleet& fleet, const std::string& file);

// The load a workload offers: its GPU-time (GPUs x duration, shares counted as their share) over
// the window from 0 to its last arrival (or the end of its last explicit job, if later), per GPU
// model of the fleet. Jobs that may use any of several models count on each in proportion to its
// GPUs.
struct OfferedLoad {
  double window_s = 0;
  struct Model {
    std::string name;
    std::int64_t gpus = 0;
    double busy_gpus = 0;  // GPUs kept busy on average
    double Fraction() const { return gpus > 0 ? busy_gpus / static_cast<double>(gpus) : 0; }
  };
  std::vector<Model> models;  // the fleet's models with GPUs
  double busy_gpus = 0;
  std::int64_t gpus = 0;
};
OfferedLoad EstimateOfferedLoad(const WorkloadSpec& w, const Fleet& fleet);

// Pod shapes (GPUs, share, CPU, memory, GPU model) of a workload's first `limit` jobs, bound with
// `seed` as the simulation binds it, or of a trace's first jobs (`models`: each job's GPU model
// name, "" = any): what FGD's typical pods are drawn from (sim --share-policy).
void SamplePods(const WorkloadSpec& w, const Fleet& fleet, std::uint64_t seed, size_t limit,
                std::vector<LabelledPod>& out);
void SamplePods(const std::vector<JobSpec>& jobs, const std::vector<std::string>& models,
                size_t limit, std::vector<LabelledPod>& out);

}  // namespace gpufleet::cli
