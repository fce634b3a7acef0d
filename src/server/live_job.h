// A job as the control plane keeps it: what the user asked for, who asked, and where it is in its
// life - beyond the scheduler's view (sched/scheduler.h), which forgets a job when it ends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/fleet.h"
#include "sched/scheduler.h"
#include "util/time.h"

namespace gpufleet {

// The scheduler's four states, and the three a job ends in.
enum class LiveState : std::uint8_t {
  kPending,
  kStarting,
  kRunning,
  kStopping,
  kCompleted,  // its command exited 0
  kFailed,     // its command exited otherwise, or the job could no longer run
  kCancelled,
};
inline constexpr int kLiveStates = 7;
const char* LiveStateName(LiveState s);
std::optional<LiveState> LiveStateNamed(std::string_view name);
inline bool IsOver(LiveState s) { return s >= LiveState::kCompleted; }

struct LiveJob {
  JobId id = -1;
  std::string tenant;
  std::string name;
  std::string command;
  std::string idempotency_key;  // empty: none
  JobRequest request;           // the scheduler's part; request.tenant indexes the server's tenants
  // GPU model names as asked (empty: any), so that the job survives a fleet spec whose models
  // were renumbered.
  std::vector<std::string> gpu_models;
  SimTime duration = 0;  // how long a hollow agent pretends it runs
  SimTime submitted_at = 0;
  SimTime started_at = -1, ended_at = -1;  // -1: not yet
  LiveState state = LiveState::kPending;
  Epoch epoch = 0;       // of its latest run, for its whole life (the scheduler's restart at 0)
  Epoch epoch_base = 0;  // epoch = epoch_base + the scheduler's epoch since this server started
  // Why a job that holds GPUs is stopping, when it is to end rather than wait again: the user
  // cancelled it, or a part of its gang failed (it ends failed once every part is gone). Stored
  // as 0, 1, 2 in the jobs table's cancel_requested column.
  enum class StopCause : std::uint8_t { kNone, kCancelled, kPartFailed };
  StopCause stop_cause = StopCause::kNone;
  std::optional<int> exit_code;
  std::string message;                   // why it failed, when the server ended it
  std::vector<NodeId> nodes;             // of its current (or last) run, ascending
  std::vector<std::uint64_t> gpu_masks;  // per node of `nodes`: the GPUs it holds there
  std::vector<NodeId> exited_nodes;      // of the current run: nodes whose part has exited
  void ClearPlacement() {
    nodes.clear();
    gpu_masks.clear();
    exited_nodes.clear();
  }
};

}  // namespace gpufleet
