// "Did you mean": the nearest of the names a command accepts to a mistyped one, and the hint for
// a command line CLI11 refused (an unknown subcommand or option).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace gpufleet::cli {

// The candidate nearest to `word`: within a third of its length in edits (at least 1; letters
// swapped count one), or one a prefix of the other (`simulate` for `sim`); "" when none is near.
std::string Nearest(const std::string& word, const std::vector<std::string>& candidates);

// For a command line that `app` refused: "unknown command 'simulate'; did you mean 'sim'? ...",
// "sim: unknown option '--sed'; did you mean '--seed'?", or "" when the mistake is not a name.
std::string UsageHint(const CLI::App& app, const std::vector<std::string>& args);

}  // namespace gpufleet::cli
