#include "cli/interrupt.h"

#include <unistd.h>

#include <csignal>

namespace gpufleet::cli {
namespace {

constexpr int kSlots = 16;
std::atomic<const char*> g_temporary[kSlots];
std::atomic<bool> g_cooperative{false};
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

static_assert(std::atomic<const char*>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);

// Only async-signal-safe calls: atomics, unlink, signal, raise.
extern "C" void OnSignal(int signal) {
  if (g_cooperative.load() && !g_stop.load()) {
    g_signal.store(signal);
    g_stop.store(true);
    return;
  }
  for (auto& slot : g_temporary) {
    const char* path = slot.load();
    if (path != nullptr) unlink(path);
  }
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

}  // namespace

void InstallInterruptHandler() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signal : {SIGINT, SIGTERM}) {
    struct sigaction old {};
    // A signal the shell told us to ignore (a background job's SIGINT) stays ignored.
    if (sigaction(signal, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(signal, &action, nullptr);
  }
}

CooperativeStop::CooperativeStop() { g_cooperative.store(true); }
CooperativeStop::~CooperativeStop() { g_cooperative.store(false); }

const std::atomic<bool>& StopFlag() { return g_stop; }
int StopSignal() { return g_signal.load(); }

const char* SignalName(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT (Ctrl-C)";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "a signal";
  }
}

int RegisterTemporaryFile(const char* path) {
  for (int i = 0; i < kSlots; ++i) {
    const char* expected = nullptr;
    if (g_temporary[i].compare_exchange_strong(expected, path)) return i;
  }
  return -1;
}

void UnregisterTemporaryFile(int slot) {
  if (slot >= 0 && slot < kSlots) g_temporary[slot].store(nullptr);
}

}  // namespace gpufleet::cli
