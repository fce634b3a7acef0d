// Checks of numeric options that say what was expected in words, before CLI11 converts the text
// (which would let `--seed -1` wrap around to 18446744073709551615 and print ranges up to 1.8e308).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace gpufleet::cli {

// A whole number from `min` to `max`, written in decimal digits (a sign only for negatives).
CLI::Validator WholeNumber(std::int64_t min, std::int64_t max);
// A whole number from 1 to 2,147,483,647 (counts of GPUs, jobs, threads).
CLI::Validator PositiveCount();
// A seed: a whole number from 0 to 18,446,744,073,709,551,615.
CLI::Validator Seed();
// A finite number, at least 0.
CLI::Validator NonNegativeReal();
// A number from `min` to `max` (above `min`, not equal to it, when `above_min`): options whose
// large values would run out of memory or print inf have a stated range.
CLI::Validator RealIn(double min, double max, bool above_min = false);

// The strict parse behind Seed(): digits only, no sign, no overflow.
std::optional<std::uint64_t> ParseUnsigned(const std::string& text);

}  // namespace gpufleet::cli
