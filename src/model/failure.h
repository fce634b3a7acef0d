// Failure categories: what breaks, and what a failure of each kind takes down. The rates that
// drive them are physics (physics/failure_rates.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace gpufleet {

enum class FailureCategory : std::uint8_t {
  kGpu,          // faulty GPU, SRAM, GPU system processor, silent data corruption, thermal
  kHbm,          // GPU HBM3 memory
  kHost,         // unplanned host maintenance, SSD, power supply, chassis, IO board, CPU, DRAM
  kNic,          // network interface
  kNetwork,      // switch or cable: every node below the leaf switch
  kSoftware,     // software bugs, dependencies, NCCL watchdog timeouts: jobs only
  kMaintenance,  // planned: jobs checkpoint first and lose nothing
  kScripted,     // a failure the workload scripts, without a category
  kOutage,       // a whole site or provider down (a workload's outages)
  kSpot,         // a spot node taken back by its provider, after its notice
};
inline constexpr int kFailureCategories = 10;
// The categories drawn by the failure model (not the planned, scripted, outage or spot ones).
inline constexpr int kRandomFailureCategories = 6;

const char* FailureCategoryName(FailureCategory c);
std::optional<FailureCategory> ParseFailureCategory(std::string_view name);
// "gpu, hbm, host, nic, network, software" for messages.
const char* RandomFailureCategoryNames();

// What a failure of this category takes down: a node, its leaf, or nothing (software).
enum class FailureScope : std::uint8_t { kNode, kLeaf, kJobsOnly };
FailureScope ScopeOf(FailureCategory c);

}  // namespace gpufleet
