// Checkpoint copies in flight between sites (docs/MODELS.md, "Checkpoints across sites"). The
// copies over one direction of a link share its bandwidth equally, as parallel transfers over one
// path do (processor sharing): alone, a copy of G GB over a link of B GB/s and latency L takes
// L + G / B; n copies in flight together each move B / n. A copy's bytes start to flow after the
// link's latency (the first byte's way across), so copies only waiting for theirs take no share.
// Each direction carries the link's `gb_s` (links are full duplex). Pure: the simulator tells it
// when copies begin and stop and asks when the next one completes; times are the simulation's.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "model/fleet.h"
#include "model/job.h"
#include "util/time.h"

namespace gpufleet {

class LinkTraffic {
 public:
  // Job `job`'s copy of `gb` from site `from` to site `to` over `link` begins at `begin`
  // (>= now, the current time: a run pays its other overheads first). Its bytes flow from
  // begin + the link's latency. The job must have no copy in flight. Returns the slot of the
  // link's direction, whose next event moved.
  int Begin(JobId job, int from, int to, const SiteLink& link, double gb, SimTime now,
            SimTime begin);
  // Job `job`'s copy stops at `now` before it completed (its run ended): what it moved, in GB,
  // and the slot whose next event moved (-1: the job had no copy here).
  // `complete`: it had moved all its bytes (it would have completed at `now`: a run that stops
  // at the instant its copy completes keeps the copy).
  struct Stopped {
    int slot = -1;
    double moved_gb = 0;
    bool complete = false;
  };
  Stopped Stop(JobId job, SimTime now);
  // When the next thing happens on slot `slot`: a copy's bytes start to flow or a copy completes
  // at the present sharing (kNever: nothing in flight). Never before the last change.
  SimTime NextEvent(int slot) const;
  // The time to queue slot `slot`'s event at after a change: kNever when an event already queued
  // comes no later than its next event (that one will do), else its next event, noted as queued.
  SimTime ToQueue(int slot);
  // Whether an event of slot `slot` at `t` is the one queued last (an earlier queued one can be
  // superseded by a later change that brings the next event forward); if so it is no longer
  // queued.
  bool Due(int slot, SimTime t);
  // At slot `slot`'s next event `now`: the jobs whose copies completed then, in the order their
  // copies began.
  std::vector<JobId> Advance(int slot, SimTime now);
  // Copies in flight or waiting for their bytes to flow from site `from` to site `to`.
  int InFlight(int from, int to) const;
  // Copies in flight or waiting for their bytes to flow, over every link.
  std::size_t in_flight() const { return slot_of_job_.size(); }

 private:
  struct Flow {
    JobId job;
    SimTime flows_from;  // its bytes flow from here (its begin plus the latency)
    double gb, left_gb;
  };
  struct Slot {
    double gb_s = 0;
    SimTime since = 0;           // the flows' left_gb are as of this time
    SimTime queued_at = kNever;  // the event queued for it last, until it is due
    std::vector<Flow> flows;     // in the order they began
  };
  // Moves the flows to `now`, the share changing where a copy starts to flow; no copy completes
  // before `now` (its completion is the slot's next event, which the caller does not pass).
  static void Drain(Slot& s, SimTime now);
  // The copies flowing at `since`, and the whole milliseconds a flowing copy with `left_gb` still
  // takes at that share (0: it is done - the one test of done, so that a next event at `since`
  // always completes a copy).
  static std::size_t Flowing(const Slot& s);
  static SimTime MsLeft(const Slot& s, double left_gb, std::size_t flowing);
  int SlotOf(int from, int to, double gb_s);
  static std::int64_t PairKey(int from, int to);

  std::vector<Slot> slots_;
  std::unordered_map<std::int64_t, int> slot_of_pair_;  // from << 32 | to
  std::unordered_map<JobId, int> slot_of_job_;
};

}  // namespace gpufleet
