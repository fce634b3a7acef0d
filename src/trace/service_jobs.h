// A workload's services in the fleet (docs/MODELS.md, "Serving in the simulator"): each service's
// requests (its trace's or generated), its replicas following them (physics/serving_autoscale.h),
// and those replicas as jobs that the fleet's scheduler places beside training at the service's
// priority. A replica is asked for at the autoscaler's decision, holds its tensor-parallel GPUs in
// one NVLink domain, and leaves when the autoscaler let it go. Here in trace/ because a service's
// demand may be a request trace.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "physics/power.h"
#include "physics/serving_autoscale.h"
#include "physics/serving_fluid.h"
#include "physics/serving_placed.h"
#include "physics/serving_replica.h"
#include "util/result.h"
#include "util/time.h"
#include "workload/service_spec.h"
#include "workload/workload.h"

namespace gpufleet {

// A service's requests: its trace's (its first `duration_s`, when above 0, after rate_scale) or
// generated over `duration_s` from `seed` (unless the demand has a seed of its own);
// `duration_flag` names the option that gives the duration, for the errors. At most
// kMaxServiceRequests; never empty.
inline constexpr double kMaxServiceRequests = 20e6;
Result<std::vector<ServingRequest>> ServiceRequests(const ServiceSpec& s, std::uint64_t seed,
                                                    double duration_s,
                                                    const std::string& duration_flag);

inline constexpr double kMaxFluidWindows = 1e6;
// A fluid service's demand (ServiceSpec::fluid_window_s): its trace's requests counted by window
// (repeated up to `duration_s` when the demand repeats; cut there otherwise), or its generated
// arrivals over `duration_s`. An error for a demand without a request or of more than
// kMaxFluidWindows windows.
Result<FluidDemand> ServiceFluidDemand(const ServiceSpec& s, std::uint64_t seed, double duration_s,
                                       const std::string& duration_flag);

// The stream a service's generated requests draw from: the run's seed and the service's (unique)
// name, so that adding, reordering or leaving out others never changes its requests.
std::uint64_t ServiceSeed(std::uint64_t run_seed, const std::string& name);

// The replica at the service's TP, with room for its largest request's KV cache, and the
// service's autoscale policy with its load time and load target resolved for `requests` (the load
// target, when the spec gives none, at their mean context).
struct ServiceSetup {
  ReplicaModel replica;
  AutoscalePolicy policy;
};
Result<ServiceSetup> SetUpService(const ServiceSpec& s,
                                  const std::vector<ServingRequest>& requests);
// The same from a fluid demand's mix.
Result<ServiceSetup> SetUpService(const ServiceSpec& s, const RequestMix& mix);

// A service as the simulator runs it: its requests served by the replicas its autoscaler keeps,
// starting warm. `run` assumes every replica is placed when asked; ServeAsPlaced serves the same
// requests again as the scheduler placed them.
struct SimulatedService {
  std::string name;
  std::int32_t tp = 1;
  std::int32_t priority = 0;
  std::int32_t warm = 0;  // its first replicas, running from the start (submitted at 0)
  std::vector<ServingRequest> requests;  // none when fluid
  ServiceSetup setup;
  BatchingLimits batching;
  ServiceLevel slo;
  AutoscaledRun run;
  // The power of the fleet's first node type of the service's GPU model, for its replicas' energy.
  NodePower node;
  std::int32_t gpus_per_node = 0;
  bool fluid = false;
  FluidDemand fluid_demand;  // when fluid
};

// The IT energy of a service's replicas, in joules: each GPU held draws its share of its node's
// idle power, and adds its busy increment while its replica runs a pass (`busy_s`, summed over
// the replicas: an upper bound for memory-bound decode, as in docs/MODELS.md, "Serving").
double ReplicasItEnergyJ(const SimulatedService& s, double held_gpu_seconds, double busy_s);

// One run of a replica in the simulator, in seconds: from its start decision until it stopped
// working (its leave, or when a preemption or failure stopped it).
struct ReplicaRunSpan {
  double from_s = 0, until_s = 0;
  int site = -1;  // where it ran (the services' costs); -1 not known
  // When it lost its GPUs with what it still held (a failure, an outage, a spot reclaim, a
  // preemption's grace over or none): the requests it held then are retried at the router.
  // Infinite: it finished them (drained, or still running at the end).
  double cut_s = HUGE_VAL;
};

// The GPU-hours a service's replicas held (`gpu_hours`: from its autoscaler), split over the
// fleet's `sites` in proportion to the length of its replicas' runs at each (every replica of a
// service holds the same GPUs). Runs of an unknown site count for none; no runs: all zero.
std::vector<double> GpuHoursBySite(const std::vector<std::vector<ReplicaRunSpan>>& runs,
                                   double gpu_hours, size_t sites);

// The service's requests served by its replicas as they ran: `runs[k]` are replica k's runs in the
// simulator, in order (none: never placed). A first run placed when asked (warm replicas: at 0)
// takes requests from when the autoscaler had the replica ready; any other run loads first
// (`load_s` from its start);
// none takes requests after the replica's drain. Requests in flight when a run stops finish there,
// as if it had been drained (docs/MODELS.md, "Serving in the simulator").
// `periods`: arrivals counted apart as well (PlacedServiceRun::periods).
Result<PlacedServiceRun> ServeAsPlaced(const SimulatedService& s,
                                       const std::vector<std::vector<ReplicaRunSpan>>& runs,
                                       const std::vector<ArrivalPeriod>& periods = {});

// A service's requests and its autoscaler's run over them: what does not depend on the fleet, so
// that runs of one demand on several fleets (`plan capacity`) autoscale it once.
struct AutoscaledService {
  std::vector<ServingRequest> requests;  // none when fluid
  ServiceSetup setup;
  std::int32_t warm = 0;
  AutoscaledRun run;
  bool fluid = false;
  FluidDemand fluid_demand;  // when fluid
};
// Each service of `spec` autoscaled over its demand until `until` (a generated demand needs it; a
// trace is cut there), in the spec's order.
Result<std::vector<AutoscaledService>> AutoscaleServices(const WorkloadSpec& spec,
                                                         std::uint64_t seed, SimTime until);

// Adds each service of `spec` to `workload`: its replicas, as `autoscaled` (AutoscaleServices of
// the same spec, seed and until) asked for them, become jobs with JobSpec::service its index in
// the result. A replica's estimate is the time left to `until`: the autoscaler does not know when
// it will let it go.
Result<std::vector<SimulatedService>> AppendServices(BoundWorkload& workload,
                                                     const WorkloadSpec& spec, const Fleet& fleet,
                                                     SimTime until,
                                                     std::vector<AutoscaledService> autoscaled);
// Both at once: the services autoscaled for this run alone.
Result<std::vector<SimulatedService>> AppendServices(BoundWorkload& workload,
                                                     const WorkloadSpec& spec, const Fleet& fleet,
                                                     std::uint64_t seed, SimTime until);

// The jobs of one service's replicas (service index `index`), in order of their decisions; an
// interrupted replica reloads for `load_s` before it serves again. The first `warm` replicas run
// when the run starts: they are submitted at 0, ahead of the jobs submitted then. A replica's
// estimate is the time left to `until` (kNever: to the last replica's leave).
std::vector<JobSpec> ReplicaJobs(const ServiceSpec& s, const AutoscaledRun& run, double load_s,
                                 std::int32_t warm, ModelId model, std::int32_t index,
                                 SimTime until);

}  // namespace gpufleet
