#include "util/fingerprint.h"

#include <gtest/gtest.h>

namespace gpufleet {
namespace {

TEST(Fingerprint, IsFnv1a64InHex) {
  // FNV-1a's published test vectors: "" is the offset basis, "a" is 0xaf63dc4c8601ec8c.
  EXPECT_EQ(Fingerprint(""), "cbf29ce484222325");
  EXPECT_EQ(Fingerprint("a"), "af63dc4c8601ec8c");
  EXPECT_NE(Fingerprint("fleet: a"), Fingerprint("fleet: b"));
}

}  // namespace
}  // namespace gpufleet
