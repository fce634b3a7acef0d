// Tokens files (server/tokens.h TokenTable::Parse, `gpufleet serve --tokens FILE`): any bytes give
// a table or an error that names the file. The input is a token, a line `%%`, then a tokens file
// (fuzz_support.h); the file is read with one more line that gives the token to `fuzzed`, an
// admin. Then: if the table reads, the token lets in `fuzzed` and no one else's token does (the
// token with a byte changed is not `fuzzed`), unless the token is too short to let anyone in; and
// the empty token is no one.
#include <string>

#include "fuzz_support.h"
#include "server/tokens.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  using namespace gpufleet;
  using namespace gpufleet::fuzz;
  const std::string name = "tokens";
  const std::vector<std::string_view> parts = SplitFiles(Input(data, size));
  const std::string token(parts[0]);
  const std::string file = std::string(parts.size() > 1 ? parts[1] : std::string_view()) +
                           "\nfuzzed admin " + HexOf(Sha256(token)) + "\n";
  NeverThrows("TokenTable::Parse", [&] {
    const Result<TokenTable> t = TokenTable::Parse(file, name);
    if (!t.ok()) {
      CheckError("TokenTable::Parse", t.message(), name);
      return;
    }
    const Identity* who = t.value().Authenticate(token);
    if (token.size() < kMinTokenBytes) {
      if (who != nullptr) Broken("TokenTable::Authenticate", "a short token got in");
    } else if (who == nullptr || who->name != "fuzzed" || who->role != Role::kAdmin) {
      Broken("TokenTable::Authenticate", "the token of the last line does not let it in");
    }
    if (!token.empty()) {
      std::string other = token;
      other[0] = static_cast<char>(other[0] ^ 1);
      const Identity* o = t.value().Authenticate(other);
      if (o != nullptr && o->name == "fuzzed")
        Broken("TokenTable::Authenticate", "another token let in the last line's identity");
    }
    if (t.value().Authenticate("") != nullptr)
      Broken("TokenTable::Authenticate", "the empty token got in");
  });
  return 0;
}
