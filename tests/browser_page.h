// For the browser tests: a gpufleet page loaded in Debian's headless chromium, driven by
// tests/browser/check_page.cjs through puppeteer-core (web/node_modules, scripts/install-web-deps),
// and what the test must check of it - console errors, plots that drew, the numbers shown.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli_run.h"

namespace gpufleet::testing {

// Why this machine cannot drive a browser, or "" when it can.
inline std::string BrowserMissing() {
  const std::string web = std::string(GPUFLEET_SOURCE_DIR) + "/web/node_modules";
  if (RunShell("command -v chromium").first != 0)
    return "chromium is not installed (Debian's chromium package; scripts/install-deps installs "
           "it)";
  if (RunShell("command -v node").first != 0)
    return "node is not installed (Debian's nodejs package; scripts/install-deps installs it)";
  if (!std::filesystem::exists(web + "/puppeteer-core/package.json"))
    return "puppeteer-core is not installed (scripts/install-web-deps, which needs npm's registry)";
  return "";
}

// Where a screenshot for a person goes: beside the gpufleet binary (build/).
inline std::string ScreenshotPath(const std::string& name) {
  return (std::filesystem::path(GPUFLEET_BINARY).parent_path() / name).string();
}

// Loads `url` (typing `token` into the page's token form when given), waits for the page to say
// it is ready, and answers check_page.cjs's findings: {"console", "ready", "plots", "values",
// "rows"}; nullopt (with a test failure) when the browser could not be driven.
inline std::optional<nlohmann::json> LoadPage(const std::string& url, const std::string& screenshot,
                                              const std::string& token = "") {
  std::string command = "timeout 180 node " +
                        Quote(std::string(GPUFLEET_SOURCE_DIR) + "/tests/browser/check_page.cjs") +
                        " --url " + Quote(url) + " --screenshot " + Quote(screenshot);
  if (!token.empty()) command += " --token " + Quote(token);
  const auto [rc, out] = RunShell(command + " 2>&1");
  if (rc != 0) {
    ADD_FAILURE() << "check_page.cjs failed (" << rc << "):\n" << out;
    return std::nullopt;
  }
  const size_t line = out.rfind("\n{");
  nlohmann::json found =
      nlohmann::json::parse(out.substr(line == std::string::npos ? 0 : line + 1), nullptr, false);
  if (!found.is_object()) {
    ADD_FAILURE() << "check_page.cjs printed no findings:\n" << out;
    return std::nullopt;
  }
  return found;
}

// The ids of a loaded page's plots, in order, after checking that the page got ready, logged no
// error or warning, and that each plot has one canvas that drew in a series' colour.
inline std::vector<std::string> DrawnPlots(const nlohmann::json& page) {
  EXPECT_TRUE(page["ready"].get<bool>());
  EXPECT_TRUE(page["console"].empty()) << "the page logged: " << page["console"].dump(1);
  std::vector<std::string> plots;
  for (const nlohmann::json& plot : page["plots"]) {
    plots.push_back(plot["id"].get<std::string>());
    EXPECT_EQ(plot["canvases"], 1) << plot["id"];
    EXPECT_GT(plot["colored"].get<long>(), 0) << plot["id"] << " drew nothing";
  }
  return plots;
}

// A number as the pages show it ("1,234", "0.5538", "-") back to a number; nullopt for "-".
inline std::optional<double> ShownNumber(std::string text) {
  std::string digits;
  for (char c : text)
    if (c != ',') digits += c;
  if (digits == "-" || digits.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(digits.c_str(), &end);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return v;
}

// Whether `shown` is `value` as the pages format it: whole numbers and numbers of 1,000 or more
// rounded to a whole number, others to 4 significant digits.
inline ::testing::AssertionResult ShowsValue(const std::string& shown,
                                             const nlohmann::json& value) {
  const std::optional<double> got = ShownNumber(shown);
  if (value.is_null()) {
    return got ? ::testing::AssertionFailure() << "shows " << shown << " for null"
               : ::testing::AssertionSuccess();
  }
  if (!got) return ::testing::AssertionFailure() << "shows '" << shown << "' for " << value;
  const double want = value.get<double>();
  const double tolerance =
      std::abs(want) >= 1000 || want == std::floor(want) ? 0.5 : std::abs(want) * 5e-4 + 1e-12;
  if (std::abs(*got - want) <= tolerance) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "shows " << shown << ", the data says " << value;
}

}  // namespace gpufleet::testing
