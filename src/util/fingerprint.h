// A fingerprint of bytes (FNV-1a, 64 bits, as 16 hex digits): enough to tell whether two runs read
// the same input file, not a defence against anyone crafting a collision.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gpufleet {

std::uint64_t Fnv1a64(std::string_view bytes);
std::string Fingerprint(std::string_view bytes);

}  // namespace gpufleet
