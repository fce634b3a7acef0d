// Errors as values (LevelDB/Envoy style): untrusted input never throws past the edge that read it.
// std::expected is not available with g++-12 in C++20 mode, hence this small Result<T>.
//
// Both are [[nodiscard]]: a call whose failure is dropped on the floor does not compile (warnings
// are errors in CI).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace gpufleet {

// What kind of failure, for callers that act on it (the daemon maps these to HTTP statuses; the
// simulator tells a rejected job from a bug of its own). Most errors are bad input.
enum class ErrorCode : unsigned char {
  kInvalidArgument,     // malformed input: a spec, a trace row, a request field
  kNotFound,            // an id the callee does not know (a job, a node)
  kAlreadyExists,       // a duplicate (a job id submitted twice)
  kFailedPrecondition,  // a valid call in the wrong state (finish of a job that is not running)
  kOutOfRange,          // a time earlier than the last one; a value past a limit
  kUnsatisfiable,       // valid, but can never be done here (a job larger than the fleet)
  kDataLoss,            // stored state that cannot be read back (a corrupt snapshot)
  kUnavailable,         // a resource the call needs failed or is busy: the store's disk, a lock
  kResourceExhausted,   // a limit on what a caller may use was reached (the server's 429)
  kInternal,            // the program's own fault (a statement of its own that is wrong): a bug
};

// A human-readable failure. `message` is complete on its own: for spec errors it starts with
// "file:line:column: " and says what was expected.
struct Error {
  std::string message;
  ErrorCode code = ErrorCode::kInvalidArgument;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e)  // NOLINT: implicit by design
      : error_(std::move(e.message)), code_(e.code), failed_(true) {}
  static Status Ok() { return {}; }
  bool ok() const { return !failed_; }
  const std::string& message() const { return error_; }
  ErrorCode code() const { return code_; }
  // For a caller that has handled or deliberately dropped the outcome.
  void IgnoreError() const {}

 private:
  std::string error_;
  ErrorCode code_ = ErrorCode::kInvalidArgument;
  bool failed_ = false;
};

template <typename T>
class [[nodiscard]] Result {
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
  ErrorCode code() const { return std::get<Error>(v_).code; }
  Error error() const { return std::get<Error>(v_); }
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace gpufleet
