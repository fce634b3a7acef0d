// The job-run model: how a running job advances through its work. A run credits work at its rate
// (1: full speed) since the last change of pace, after paying any restart overhead it owes; its
// rate is the GPUs' speed under the site's power cap times the share of time that checkpoint
// writes leave and the placement's speed; it finishes when the credited work reaches the job's
// duration. The state lives in the job's JobRecord; these functions are the rules over it.
//
// Apart from the event loop so that each rule can be tested on a bare record: they know no
// scheduler, event queue or fleet - the loop passes in what a placement implies (its power cap,
// its site's storage bandwidth, its expected failures) and pushes the finish events they compute.
#pragma once

#include "sim/sim_result.h"

namespace gpufleet {

// Work a run credits in `elapsed` ms at `rate`: exact integers at full speed, rounded down below.
SimTime Credit(SimTime elapsed, double rate);

// The work a running job has done by `now`, without settling it.
SimTime WorkDone(const JobRecord& r, SimTime now);

// Credits the current run's work up to `now` (paying restart overhead first) and starts a new
// segment there.
void Settle(JobRecord& r, SimTime now);

// A run starts at `now`, from the progress the job has kept.
void BeginRun(JobRecord& r, SimTime now);

// The checkpoint interval and write time of a run: the job's, or for `auto` Daly's interval for
// the job's mean time between failures, `failures_per_day` on its placement. A write time not
// given comes from the checkpoint's size and the storage bandwidth of the job's (first) site.
void SetCheckpointing(JobRecord& r, double storage_gb_s, double failures_per_day);
// Without the twin's physics checkpoints take no time, and `auto` takes none.
void SetFreeCheckpointing(JobRecord& r);

// The pace of a run whose most capped site holds its GPUs at `cap` (a fraction of TDP).
double RunRate(const JobRecord& r, double cap);

// A change of pace at `now`: credits the work so far at the old rate and bumps the epoch (the
// finish event pushed at the old rate no longer counts). False, and nothing changes, when the
// rate is the same.
bool ChangeRate(JobRecord& r, double rate, SimTime now);

// When the run completes if its pace holds; kNever when a pace near 0 (an absurd checkpoint write
// time, say) puts that after any simulation could end, rather than overflowing time.
SimTime FinishTime(const JobRecord& r);

// The run ends at `now` (its work settled by the caller): its wall time and GPU-time count, its
// pace resets and its epoch moves on, so that its pending finish event is ignored.
void EndRun(JobRecord& r, SimTime now);

// A run still going when the simulation ends: its work, wall time and GPU-time up to `end` count;
// the job stays running in the report.
void CountRunAtEnd(JobRecord& r, SimTime end);

}  // namespace gpufleet
