#include "cli/progress.h"

#include <unistd.h>

namespace gpufleet::cli {
bool StderrIsTerminal() { return isatty(STDERR_FILENO) != 0; }

ProgressBar::Mode ProgressBar::ForStderr() {
  return StderrIsTerminal() ? Mode::kTerminal : Mode::kLog;
}

ProgressBar::ProgressBar(SimTime horizon, Mode mode, std::FILE* out, double first_after_s,
                         double log_every_s)
    : start_(std::chrono::steady_clock::now()),
      horizon_(horizon),
      mode_(mode),
      out_(out),
      first_after_s_(first_after_s),
      log_every_s_(log_every_s) {}

double ProgressBar::ElapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::Update(SimTime now, std::uint64_t events) {
  if (mode_ == Mode::kOff) return;
  const double elapsed = ElapsedSeconds();
  if (elapsed < first_after_s_) return;
  const double day = static_cast<double>(now) / kDay;
  const double million = static_cast<double>(events) / 1e6;
  const bool bounded = horizon_ != kNever && horizon_ > 0;
  const double f = bounded ? static_cast<double>(now) / static_cast<double>(horizon_) : 0;
  if (mode_ == Mode::kLog) {
    if (shown_ && elapsed - last_logged_ < log_every_s_) return;
    shown_ = true;
    last_logged_ = elapsed;
    if (bounded) {
      std::fprintf(out_, "progress: day %.1f of %.1f (%.1f%%), %.1f M events, %.0f s wall\n", day,
                   static_cast<double>(horizon_) / kDay, 100 * f, million, elapsed);
    } else {
      std::fprintf(out_, "progress: day %.1f, %.1f M events, %.0f s wall\n", day, million, elapsed);
    }
    std::fflush(out_);
    return;
  }
  shown_ = true;
  if (bounded) {
    const int width = 30;
    const int filled = static_cast<int>(f * width);
    char bar[width + 1];
    for (int i = 0; i < width; ++i) bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    std::fprintf(out_, "\r[%s] %5.1f%%  day %.1f  %.1f M events  %.0f s ", bar, 100 * f, day,
                 million, elapsed);
  } else {
    std::fprintf(out_, "\rday %.1f  %.1f M events  %.0f s ", day, million, elapsed);
  }
  std::fflush(out_);
}

void ProgressBar::Finish() {
  if (shown_ && mode_ == Mode::kTerminal) std::fprintf(out_, "\n");
  shown_ = false;
}

}  // namespace gpufleet::cli
