// Tokens files (server/tokens.h TokenTable::Parse, `gpufleet serve --tokens FILE`): any bytes give
// a table or an error that names the file. A table that parses lets in only tokens whose SHA-256
// is written in it: the input itself, taken as a token, is someone only if its hash is there, and
// the empty token is no one.
#include <cctype>
#include <string>

#include "fuzz_support.h"
#include "server/tokens.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace gpufleet;
  using namespace gpufleet::fuzz;
  const std::string name = "tokens";
  const std::string_view text = Input(data, size);
  NeverThrows("TokenTable::Parse", [&] {
    const Result<TokenTable> t = TokenTable::Parse(text, name);
    if (!t.ok()) {
      CheckError("TokenTable::Parse", t.message(), name);
      return;
    }
    std::string lower(text);  // hashes may be written in either case
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (t.value().Authenticate(text) != nullptr &&
        lower.find(HexOf(Sha256(text))) == std::string::npos)
      Broken("TokenTable::Authenticate", "a token whose hash is not in the file got in");
    if (t.value().Authenticate("") != nullptr)
      Broken("TokenTable::Authenticate", "the empty token got in");
  });
  return 0;
}
