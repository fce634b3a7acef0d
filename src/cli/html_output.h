// Writing the HTML pages of the commands that take --html (sim, compare, plan, experiment).
#pragma once

#include <string>

#include "report/figures_page.h"
#include "util/result.h"

namespace gpufleet::cli {

// Whether this build can write HTML pages; when not, says why on stderr after `me` ("gpufleet
// plan train: ") - to be asked before the work, not after it.
bool HtmlPagesPossible(const std::string& me);

// Writes `page` to `path` ('-': standard output) through a file beside it that replaces it once
// written, so that a failure keeps the old file; false after saying why on stderr.
bool WriteHtmlPage(const std::string& path, const Result<std::string>& page, const std::string& me);

// The same for a page of figures, naming this gpufleet's version.
bool WriteFiguresPage(const std::string& path, const FiguresPage& page, const std::string& me);

// The plot of the effective training time ratio against the checkpoint interval (Daly's
// complete model, physics/checkpoint.h) around Young's interval, from 1/16 to 16 times it, for a
// job failing every `mtbf_s`, writing a checkpoint in `write_s`, restarting in `restart_s`.
FiguresPage::Plot EttrAgainstInterval(double write_s, double restart_s, double mtbf_s);

}  // namespace gpufleet::cli
