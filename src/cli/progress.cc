#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace gpufleet::cli {

bool StderrIsTerminal() { return isatty(STDERR_FILENO) != 0; }

ProgressBar::ProgressBar(SimTime horizon, bool enabled)
    : start_(std::chrono::steady_clock::now()), horizon_(horizon), enabled_(enabled) {}

double ProgressBar::ElapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::Update(SimTime now, std::uint64_t events) {
  if (!enabled_) return;
  const double elapsed = ElapsedSeconds();
  if (elapsed < 1.0) return;
  shown_ = true;
  const double day = static_cast<double>(now) / kDay;
  if (horizon_ != kNever && horizon_ > 0) {
    const double f = static_cast<double>(now) / static_cast<double>(horizon_);
    const int width = 30;
    const int filled = static_cast<int>(f * width);
    char bar[width + 1];
    for (int i = 0; i < width; ++i) bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    std::fprintf(stderr, "\r[%s] %5.1f%%  day %.1f  %.1f M events  %.0f s ", bar, 100 * f, day,
                 static_cast<double>(events) / 1e6, elapsed);
  } else {
    std::fprintf(stderr, "\rday %.1f  %.1f M events  %.0f s ", day,
                 static_cast<double>(events) / 1e6, elapsed);
  }
  std::fflush(stderr);
}

void ProgressBar::Finish() {
  if (shown_) std::fprintf(stderr, "\n");
}

}  // namespace gpufleet::cli
