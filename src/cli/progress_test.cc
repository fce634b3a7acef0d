#include "cli/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace gpufleet::cli {
namespace {

std::string Written(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, f) != nullptr) out += buf;
  return out;
}

TEST(Progress, ALogGetsWholeLinesNotRedraws) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressBar log(30 * kDay, ProgressBar::Mode::kLog, f, /*first_after_s=*/0,
                    /*log_every_s=*/0);
    log.Update(3 * kDay, 2'000'000);
    log.Update(6 * kDay, 4'000'000);
    log.Finish();
  }
  const std::string text = Written(f);
  EXPECT_EQ(text,
            "progress: day 3.0 of 30.0 (10.0%), 2.0 M events, 0 s wall\n"
            "progress: day 6.0 of 30.0 (20.0%), 4.0 M events, 0 s wall\n");
  std::fclose(f);
}

TEST(Progress, ALogIsQuietBetweenIntervals) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ProgressBar log(kNever, ProgressBar::Mode::kLog, f, 0, /*log_every_s=*/3600);
  log.Update(kDay, 1'000'000);
  log.Update(2 * kDay, 2'000'000);  // within the hour: not written
  log.Finish();
  EXPECT_EQ(Written(f), "progress: day 1.0, 1.0 M events, 0 s wall\n");
  std::fclose(f);
}

TEST(Progress, ATerminalLineIsRedrawnInPlace) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ProgressBar bar(kNever, ProgressBar::Mode::kTerminal, f, 0);
  bar.Update(kDay, 1'000'000);
  bar.Finish();
  const std::string text = Written(f);
  EXPECT_EQ(text.front(), '\r');
  EXPECT_EQ(text.back(), '\n');
  std::fclose(f);
}

}  // namespace
}  // namespace gpufleet::cli
