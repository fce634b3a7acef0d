// Errors as values (LevelDB/Envoy style): untrusted input never throws past the edge that read it.
// std::expected is not available with g++-12 in C++20 mode, hence this small Result<T>.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace gpufleet {

// A human-readable failure. `message` is complete on its own: for spec errors it starts with
// "file:line:column: " and says what was expected.
struct Error {
  std::string message;
};

class Status {
 public:
  Status() = default;
  Status(Error e) : error_(std::move(e.message)), failed_(true) {}  // NOLINT: implicit by design
  static Status Ok() { return {}; }
  bool ok() const { return !failed_; }
  const std::string& message() const { return error_; }

 private:
  std::string error_;
  bool failed_ = false;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error e) : v_(std::move(e)) {}      // NOLINT: implicit by design
  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  const std::string& message() const { return std::get<Error>(v_).message; }
  Error error() const { return std::get<Error>(v_); }
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace gpufleet
