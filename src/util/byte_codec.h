// A small binary encoding for snapshots: fixed-width little-endian integers, IEEE doubles by bit
// pattern (exact), length-prefixed strings and vectors. The reader never reads past its input:
// a short or corrupt snapshot is a kDataLoss error, not undefined behaviour.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "util/result.h"

namespace gpufleet {
namespace detail {
// The unsigned integer a value travels as: enums by their underlying type, bool as a byte.
template <typename T, bool = std::is_enum_v<T>>
struct Wire {
  using type = std::make_unsigned_t<std::conditional_t<std::is_same_v<T, bool>, unsigned char, T>>;
};
template <typename T>
struct Wire<T, true> {
  using type = std::make_unsigned_t<std::underlying_type_t<T>>;
};
}  // namespace detail

class ByteWriter {
 public:
  template <typename T>
  requires std::is_integral_v<T> || std::is_enum_v<T>
  void Put(T v) {
    using U = typename detail::Wire<T>::type;
    auto u = static_cast<U>(v);
    for (size_t i = 0; i < sizeof(U); ++i) {
      out_.push_back(static_cast<char>(u & 0xFF));
      if constexpr (sizeof(U) > 1) u = static_cast<U>(u >> 8);
    }
  }
  void PutDouble(double d) { Put(std::bit_cast<std::uint64_t>(d)); }
  void PutFloat(float f) { Put(std::bit_cast<std::uint32_t>(f)); }
  void PutString(std::string_view s) {
    Put(static_cast<std::uint64_t>(s.size()));
    out_.append(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  // Reads into `v`; after the first failure every read fails and `v` is left zero.
  template <typename T>
  requires std::is_integral_v<T> || std::is_enum_v<T>
  bool Get(T& v) {
    using U = typename detail::Wire<T>::type;
    if (failed_ || in_.size() - pos_ < sizeof(U)) {
      failed_ = true;
      v = T{};
      return false;
    }
    U u = 0;
    for (size_t i = 0; i < sizeof(U); ++i)
      u = static_cast<U>(u | static_cast<U>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i));
    pos_ += sizeof(U);
    v = static_cast<T>(u);
    return true;
  }
  bool GetDouble(double& d) {
    std::uint64_t u = 0;
    const bool ok = Get(u);
    d = std::bit_cast<double>(u);
    return ok;
  }
  bool GetFloat(float& f) {
    std::uint32_t u = 0;
    const bool ok = Get(u);
    f = std::bit_cast<float>(u);
    return ok;
  }
  bool GetString(std::string& s) {
    std::uint64_t n = 0;
    if (!Get(n) || in_.size() - pos_ < n) {
      failed_ = true;
      return false;
    }
    s.assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  // A count of items that each take at least `min_bytes`: refused when the input could not hold
  // them, so a corrupt count never makes the caller allocate terabytes.
  bool GetCount(std::uint64_t& n, size_t min_bytes) {
    if (!Get(n) || n > (in_.size() - pos_) / (min_bytes == 0 ? 1 : min_bytes)) {
      failed_ = true;
      n = 0;
      return false;
    }
    return true;
  }
  bool failed() const { return failed_; }
  bool done() const { return pos_ == in_.size(); }
  // For a value that reads fine but is out of range.
  void Fail() { failed_ = true; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace gpufleet
