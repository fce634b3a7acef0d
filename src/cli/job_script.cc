#include "cli/job_script.h"

#include <sstream>

namespace gpufleet::cli {
namespace {

constexpr std::string_view kDirective = "#GPUFLEET";

// Splits `text` at white space, honouring '...' (literal) and "..." (backslash escapes \" and \\).
Result<std::vector<std::string>> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'' || c == '"') {
      size_t k = i + 1;
      for (; k < text.size() && text[k] != c; ++k) {
        if (c == '"' && text[k] == '\\' && k + 1 < text.size()) ++k;  // \" and \\ in "..."
        word += text[k];
      }
      if (k >= text.size()) return Error{"a quote that is not closed"};
      i = k;
      continue;
    }
    word += c;
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace

Result<std::vector<std::string>> ReadDirectives(const std::string& path, std::string_view text) {
  std::vector<std::string> args;
  std::istringstream lines{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos) continue;  // blank
    const std::string_view content = std::string_view(line).substr(start);
    if (content.front() != '#') break;  // the first command ends the directives
    if (content.substr(0, kDirective.size()) != kDirective) continue;  // a comment
    const std::string_view rest = content.substr(kDirective.size());
    if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') continue;  // #GPUFLEETX
    Result<std::vector<std::string>> words = SplitWords(rest);
    if (!words.ok()) return Error{path + ":" + std::to_string(number) + ": " + words.message()};
    args.insert(args.end(), words.value().begin(), words.value().end());
  }
  return args;
}

std::string ShellQuote(std::string_view word) {
  const bool safe = !word.empty() && word.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789_-.,/:=@%+") == std::string_view::npos;
  if (safe) return std::string(word);
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string CommandFromArgs(const std::vector<std::string>& args) {
  if (args.size() == 1) return args.front();
  std::string command;
  for (const std::string& arg : args) {
    if (!command.empty()) command += ' ';
    command += ShellQuote(arg);
  }
  return command;
}

}  // namespace gpufleet::cli
