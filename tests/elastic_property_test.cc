// Elastic renting under random workloads, failures and outages (rapidcheck): every job ends, the
// bill covers every GPU-hour jobs held on rented nodes (none ran on a node not held), the counts
// agree (acquired <= asked, released <= acquired, peak <= the site's nodes and <= what the
// workload's GPUs fill), and the run is deterministic.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "sim/simulator.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

RC_GTEST_PROP(ElasticProperties, EveryJobEndsAndEveryRentedGpuHourIsBilled, ()) {
  const int nodes = *rc::gen::inRange(1, 4);
  const int provisioning_min = *rc::gen::inRange(0, 30);
  const int release_min = *rc::gen::inRange(0, 120);
  const int threshold_min = *rc::gen::inRange(0, 240);
  const std::string fleet_yaml =
      "providers:\n"
      "  - {name: lab}\n"
      "  - {name: c, kind: cloud, gpu_hour_usd: 4}\n"
      "sites:\n"
      "  - {name: campus, provider: lab, power_budget_mw: 1, domains: [{name: d, node_type: "
      "dgx-h100}]}\n"
      "  - {name: burst, provider: c, power_budget_mw: 1, elastic: {provisioning: " +
      std::to_string(provisioning_min) + "m, release_after_idle: " + std::to_string(release_min) +
      "m, rent_when_wait_exceeds: " + std::to_string(threshold_min) +
      "m}, domains: [{name: d, count: " + std::to_string(nodes) + ", node_type: dgx-h100}]}\n";
  std::string w = "jobs:\n";
  const int jobs = *rc::gen::inRange(1, 25);
  int total_gpus = 0;
  for (int k = 0; k < jobs; ++k) {
    const int gpus = *rc::gen::element(1, 2, 4, 8, 16);
    if (gpus > 8 * (nodes + 1)) continue;
    total_gpus += gpus;
    w += "  - {gpus: " + std::to_string(gpus) +
         ", submit: " + std::to_string(*rc::gen::inRange(0, 600)) +
         "m, duration: " + std::to_string(*rc::gen::inRange(1, 600)) +
         "m, estimate: " + std::to_string(*rc::gen::inRange(1, 600)) + "m}\n";
  }
  w += "failures:\n";
  if (*rc::gen::arbitrary<bool>()) {
    w += "  - {at: " + std::to_string(*rc::gen::inRange(0, 900)) +
         "m, target: burst, repair_after: " + std::to_string(*rc::gen::inRange(1, 120)) + "m}\n";
  }
  if (*rc::gen::arbitrary<bool>()) {
    w += "  - {at: " + std::to_string(*rc::gen::inRange(0, 900)) +
         "m, target: campus, repair_after: " + std::to_string(*rc::gen::inRange(1, 120)) + "m}\n";
  }
  if (w.ends_with("failures:\n")) w.resize(w.size() - std::string("failures:\n").size());
  if (*rc::gen::arbitrary<bool>()) {
    w += "outages: [{site: burst, at: " + std::to_string(*rc::gen::inRange(0, 900)) +
         "m, for: " + std::to_string(*rc::gen::inRange(1, 300)) + "m}]\n";
  }
  RC_LOG() << fleet_yaml << w;
  const Fleet fleet = testing::MustParseFleet(fleet_yaml);
  const SimResult r = testing::RunUntil(fleet, w);
  for (const JobRecord& j : r.jobs) RC_ASSERT(j.state == JobRecord::State::kCompleted);
  RC_ASSERT(r.elastic.size() == 1u);
  const SimResult::ElasticSite& e = r.elastic[0];
  RC_ASSERT(e.acquired <= e.asked);
  RC_ASSERT(e.released <= e.acquired);
  RC_ASSERT(e.peak_nodes <= nodes);
  // Never more nodes at once than the whole workload's GPUs fill: each ask covers what a queued
  // job lacks, once.
  RC_ASSERT(e.peak_nodes <= (total_gpus + 7) / 8);
  // Jobs held GPUs on the burst site only while it was rented.
  RC_ASSERT(r.sites[1].held_gpu_milli_ms / kMilliPerGpu <= e.held_gpu_ms);
  const SimResult again = testing::RunUntil(fleet, w);
  RC_ASSERT(again.end_time == r.end_time);
  RC_ASSERT(again.elastic[0].held_node_ms == e.held_node_ms);
  for (size_t k = 0; k < r.jobs.size(); ++k) RC_ASSERT(again.jobs[k].end == r.jobs[k].end);
}

}  // namespace
}  // namespace gpufleet
