// Checkpoint intervals and the effective training time they leave (Young 1974; Daly 2006,
// FGCS 22:303; docs/MODELS.md, "Checkpoint intervals"). Pure functions of
// seconds: the job's mean time between failures M, the checkpoint write time delta, the restart
// time R and the interval tau (useful work between checkpoints).
#pragma once

namespace gpufleet {

// Young's first-order optimum: tau = sqrt(2 delta M).
double YoungInterval(double write_s, double mtbf_s);

// Daly's higher-order optimum: tau = sqrt(2 delta M) [1 + 1/3 sqrt(delta/2M) + 1/9 (delta/2M)] -
// delta for delta < 2M; M otherwise.
double DalyInterval(double write_s, double mtbf_s);

// Expected effective training time ratio (useful time over wall time) with exponentially
// distributed failures, checkpoints every tau of work, each taking delta, and R to restart after
// a failure (Daly's complete model): ETTR = tau / (M e^(R/M) (e^((tau + delta)/M) - 1)).
double ExpectedEttr(double interval_s, double write_s, double restart_s, double mtbf_s);

}  // namespace gpufleet
