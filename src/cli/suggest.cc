#include "cli/suggest.h"

#include <algorithm>

#include "model/catalog.h"
#include "util/text.h"

namespace gpufleet::cli {
namespace {

// Optimal string alignment distance (Levenshtein with adjacent swaps).
size_t Distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::vector<std::string> SubcommandNames(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    out.push_back(sub->get_name());
  return out;
}

std::vector<std::string> LongOptions(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::Option* o : app.get_options()) {
    for (const std::string& name : o->get_lnames()) out.push_back("--" + name);
  }
  return out;
}

bool TakesValue(const CLI::App& app, const std::string& flag) {
  for (const CLI::Option* o : app.get_options()) {
    for (const std::string& name : o->get_lnames()) {
      if ("--" + name == flag) return o->get_items_expected_max() > 0;
    }
  }
  return false;
}

std::string Path(const std::vector<const CLI::App*>& chain) {
  std::string out;
  for (size_t i = 1; i < chain.size(); ++i) out += (out.empty() ? "" : " ") + chain[i]->get_name();
  return out;
}

}  // namespace

std::string Nearest(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string w = Lowercase(word);
  std::string best;
  size_t best_distance = std::string::npos;
  for (const std::string& c : candidates) {
    const std::string lc = Lowercase(c);
    size_t d = Distance(w, lc);
    const std::string bare_w =
        w.substr(w.find_first_not_of('-') == std::string::npos ? 0 : w.find_first_not_of('-'));
    const std::string bare_c = lc.substr(lc.find_first_not_of('-'));
    const bool prefix = bare_w.size() >= 2 && bare_c.size() >= 2 &&
                        (bare_c.rfind(bare_w, 0) == 0 || bare_w.rfind(bare_c, 0) == 0);
    const size_t limit = std::max<size_t>(1, bare_w.size() / 3);
    if (d > limit && !prefix) continue;
    if (prefix) d = std::min(d, limit);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string UsageHint(const CLI::App& app, const std::vector<std::string>& args) {
  std::vector<const CLI::App*> chain = {&app};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const CLI::App& here = *chain.back();
    if (arg == "--") break;
    if (arg.rfind("--", 0) == 0) {
      const std::string flag = arg.substr(0, arg.find('='));
      const std::vector<std::string> known = LongOptions(here);
      if (std::find(known.begin(), known.end(), flag) == known.end()) {
        const std::string where = Path(chain);
        std::string hint = (where.empty() ? "" : where + ": ") + "unknown option '" + flag + "'";
        const std::string near = Nearest(flag, known);
        if (!near.empty()) hint += "; did you mean '" + near + "'?";
        return hint;
      }
      if (arg.find('=') == std::string::npos && TakesValue(here, flag)) ++i;
      continue;
    }
    if (arg.rfind('-', 0) == 0) continue;
    const std::vector<std::string> subs = SubcommandNames(here);
    if (subs.empty()) continue;  // a positional argument or an option's value
    if (std::find(subs.begin(), subs.end(), arg) != subs.end()) {
      chain.push_back(here.get_subcommand(arg));
      continue;
    }
    const std::string where = Path(chain);
    std::string hint = (where.empty() ? "" : where + ": ") + "unknown command '" + arg + "'";
    const std::string near = Nearest(arg, subs);
    if (!near.empty()) hint += "; did you mean '" + near + "'?";
    return hint + " (commands: " + ListNames(subs) + ")";
  }
  // Nothing mistyped, but a command that needs one of its own (bare `gpufleet`, `gpufleet
  // fleet`): say which there are, rather than CLI11's bare "A subcommand is required".
  const CLI::App& last = *chain.back();
  const std::vector<std::string> subs = SubcommandNames(last);
  if (!subs.empty() && last.get_require_subcommand_min() > 0) {
    const std::string where = Path(chain);
    return (where.empty() ? "" : where + ": ") + "a command is required: " + ListNames(subs);
  }
  return "";
}

}  // namespace gpufleet::cli
