// Numbers read from files become integers only through these checks: a double is rounded only
// when it is finite and inside the range its field allows, and products of counts are computed
// only when they fit. Out of range is an error value, never undefined behaviour (llround of 1e300,
// a cast of a double beyond int64, a product that wraps). Messages say what was expected; callers
// prefix the file, line and field.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "util/result.h"

namespace gpufleet {

// `value` rounded to the nearest integer (halves away from zero, as llround), if it is a finite
// number in [lo, hi]; otherwise an error "expected <what> from lo to hi, got value". lo and hi
// must lie within ±2^62, so that both are exact enough as doubles to compare with.
Result<std::int64_t> RoundedInRange(double value, std::int64_t lo, std::int64_t hi,
                                    const std::string& what);

// `value` × `scale` rounded to the nearest integer, if `value` is finite and the product lies in
// [lo, hi] (e.g. cores to milli-cores): the error names `value` as it was given, in its unit.
Result<std::int64_t> ScaledInRange(double value, double scale, std::int64_t lo, std::int64_t hi,
                                   const std::string& what);

// a × b, or nothing when the product does not fit in 64 bits.
inline std::optional<std::int64_t> CheckedMul(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

// a + b, or nothing when the sum does not fit in 64 bits.
inline std::optional<std::int64_t> CheckedAdd(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}

// Whether a double lies in [lo, hi] (false for NaN): the test to make before any cast.
inline bool InRange(double value, double lo, double hi) { return value >= lo && value <= hi; }

// A number for messages: integers without a fraction, others with up to 6 significant digits
// ("1e+300", "2.5", "NaN").
std::string ShownNumber(double value);

}  // namespace gpufleet
