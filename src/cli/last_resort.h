// The last resort of `main`: an exception that escaped a subcommand (none should) becomes a
// message and an exit code instead of an abort. Out of memory is said as such (exit 1); anything
// else is an internal error, exit 1, with a request for a bug report.
#pragma once

#include <exception>
#include <ostream>

namespace gpufleet::cli {

// Writes what `error` was to `err` and returns the exit code for it.
int ReportEscapedException(std::exception_ptr error, std::ostream& err);

// For exceptions that cannot reach `main` (in a worker thread, out of a noexcept function):
// std::terminate says the same as ReportEscapedException on stderr and exits 1, not by abort.
void InstallTerminateHandler();

}  // namespace gpufleet::cli
