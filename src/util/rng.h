// Seeded randomness with streams that are identical on every platform and standard library.
// std:: distributions differ between library implementations (DESIGN.md), so the few we need are
// written here on top of xoshiro256** (Blackman & Vigna), seeded through splitmix64.
#pragma once

#include <cmath>
#include <cstdint>

namespace gpufleet {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& s : s_) s = SplitMix(x);
  }
  // A child stream for a named purpose: the same (seed, stream) always gives the same sequence,
  // and adding a new stream never shifts the numbers of an existing one.
  static Rng Stream(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t x = seed ^ (0x9E3779B97F4A7C15ULL * (stream + 1));
    return Rng(SplitMix(x));
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform integer in [0, n), n > 0, without modulo bias: draws below 2^64 mod n are rejected,
  // so every residue is equally likely.
  std::uint64_t Below(std::uint64_t n) {
    const std::uint64_t threshold = (0 - n) % n;
    for (;;) {
      const std::uint64_t x = Next();
      if (x >= threshold) return x % n;
    }
  }
  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe to take the logarithm of.
  double UniformOpenZero() { return 1.0 - Uniform(); }
  double Exponential(double mean) { return -mean * std::log(UniformOpenZero()); }
  // Standard normal by Box-Muller; one value per call keeps the stream position simple.
  double Normal() {
    const double u1 = UniformOpenZero();
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
  }

 private:
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t SplitMix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::uint64_t s_[4];
};

}  // namespace gpufleet
