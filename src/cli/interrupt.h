// Ctrl-C (SIGINT) and SIGTERM. By default a signal removes the temporary files of the outputs
// being written (output_file.h) and ends the process as the signal would, so that an interrupted
// command never leaves a half-written file where an old one was. A command that can stop cleanly
// (`sim`, between events) asks for the first signal to set a flag instead; a second one ends the
// process as above.
#pragma once

#include <atomic>

namespace gpufleet::cli {

// Installs the handler for SIGINT and SIGTERM (from main, before any output is opened).
void InstallInterruptHandler();

// While a CooperativeStop lives, the first signal only sets StopFlag().
class CooperativeStop {
 public:
  CooperativeStop();
  ~CooperativeStop();
  CooperativeStop(const CooperativeStop&) = delete;
  CooperativeStop& operator=(const CooperativeStop&) = delete;
};
const std::atomic<bool>& StopFlag();
// The signal that set the flag (SIGINT or SIGTERM), 0 if none.
int StopSignal();
// The conventional exit code of a process stopped by `signal`: 128 + signal.
inline int ExitCodeFor(int signal) { return 128 + signal; }
// "SIGINT (Ctrl-C)", "SIGTERM".
const char* SignalName(int signal);

// Temporary files to remove when a signal ends the process; `path` must stay valid and unchanged
// until unregistered. Returns a slot, or -1 when all are taken (the file is then not removed).
int RegisterTemporaryFile(const char* path);
void UnregisterTemporaryFile(int slot);

}  // namespace gpufleet::cli
