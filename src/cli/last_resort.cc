#include "cli/last_resort.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <new>

#include "cli/commands.h"

namespace gpufleet::cli {

int ReportEscapedException(std::exception_ptr error, std::ostream& err) {
  try {
    if (error) std::rethrow_exception(error);
    err << "gpufleet: internal error: the program stopped without saying why (please report this "
           "bug)\n";
  } catch (const std::bad_alloc&) {
    err << "gpufleet: out of memory: the input needs more memory than this machine can give (a "
           "smaller fleet, workload or --until needs less)\n";
  } catch (const CLI::Error& e) {
    // The command line, seen too late (in a callback): a usage mistake.
    err << "gpufleet: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    err << "gpufleet: internal error: " << e.what()
        << " (please report this bug with the command that caused it)\n";
  } catch (...) {
    err << "gpufleet: internal error: an unknown exception (please report this bug with the "
           "command that caused it)\n";
  }
  return kExitFailure;
}

void InstallTerminateHandler() {
  std::set_terminate([] {
    const int code = ReportEscapedException(std::current_exception(), std::cerr);
    std::cerr.flush();
    std::_Exit(code);
  });
}

}  // namespace gpufleet::cli
