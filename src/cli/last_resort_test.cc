#include "cli/last_resort.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <new>
#include <sstream>
#include <stdexcept>

#include "cli/commands.h"

namespace gpufleet::cli {
namespace {

template <typename E>
std::pair<int, std::string> Report(E e) {
  std::ostringstream err;
  const int code = ReportEscapedException(std::make_exception_ptr(e), err);
  return {code, err.str()};
}

TEST(LastResort, OutOfMemoryIsSaidAsSuch) {
  const auto [code, text] = Report(std::bad_alloc());
  EXPECT_EQ(code, kExitFailure);
  EXPECT_NE(text.find("out of memory"), std::string::npos) << text;
  EXPECT_EQ(text.find("bug"), std::string::npos) << text;
}

TEST(LastResort, AnyOtherExceptionIsAnInternalErrorToReport) {
  const auto [code, text] = Report(std::logic_error("vector::_M_range_check"));
  EXPECT_EQ(code, kExitFailure);
  EXPECT_NE(text.find("internal error: vector::_M_range_check"), std::string::npos) << text;
  EXPECT_NE(text.find("please report this bug"), std::string::npos) << text;
  const auto [code2, text2] = Report(42);  // not even a std::exception
  EXPECT_EQ(code2, kExitFailure);
  EXPECT_NE(text2.find("unknown exception"), std::string::npos) << text2;
}

TEST(LastResort, LateCommandLineErrorIsBadInput) {
  const auto [code, text] = Report(CLI::ValidationError("--seed", "expected a whole number"));
  EXPECT_EQ(code, kExitBadInput);
  EXPECT_NE(text.find("expected a whole number"), std::string::npos) << text;
}

TEST(LastResort, NoExceptionAtAll) {
  std::ostringstream err;
  EXPECT_EQ(ReportEscapedException(nullptr, err), kExitFailure);
  EXPECT_NE(err.str().find("internal error"), std::string::npos);
}

}  // namespace
}  // namespace gpufleet::cli
