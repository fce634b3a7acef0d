// What `gpufleet submit` reads besides its flags: a job script's #GPUFLEET directives (as sbatch
// reads #SBATCH), and the command after `--` turned into the one string the agent runs under
// `sh -c`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace gpufleet::cli {

// The arguments of the directive lines at the top of a script: lines `#GPUFLEET --gpus 8 ...`
// among the comments and blank lines before the first command (a shebang is a comment); a
// directive after the first command is ignored, as sbatch does. Arguments are split at white
// space, with '...' and "..." quoting. Errors: "PATH:LINE: ...".
Result<std::vector<std::string>> ReadDirectives(const std::string& path, std::string_view text);

// `word` as one word for sh: unchanged when it has only safe characters, else in single quotes.
std::string ShellQuote(std::string_view word);

// The command of `submit -- ARGS`: a single argument is taken as a shell command line, verbatim
// (`submit -- 'torchrun ... | tee log'`); several are words, each quoted for sh
// (`submit -- python train.py --lr 0.1`), so that they arrive as they were typed.
std::string CommandFromArgs(const std::vector<std::string>& args);

}  // namespace gpufleet::cli
