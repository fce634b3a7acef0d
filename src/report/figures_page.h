// A page of figures: what `plan` and `experiment` commands write with --html (docs/REPORT.md,
// "HTML pages of plan and experiment"). A command describes its page - tables and plots in order
// - and the page draws it in a browser with the same code as the HTML report (src/report/web/
// figures.js over plot.js and uPlot, all embedded: the page opens offline). The command's own
// JSON goes into the page too, as the record of what was computed.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace gpufleet {

class FiguresPage {
 public:
  // `title` heads the page; `command` is the command line that made it, shown under it.
  FiguresPage(std::string title, std::string command);

  // A two-column table of named figures. Each value's cell carries `id`.NAME as its key (the
  // browser tests find the number shown by it).
  void Figures(const std::string& id, const std::string& title,
               const std::vector<std::pair<std::string, nlohmann::ordered_json>>& figures);

  // A table: a header and rows of values (numbers, text or null).
  void Table(const std::string& id, const std::string& title, std::vector<std::string> header,
             const std::vector<std::vector<nlohmann::ordered_json>>& rows);

  struct Line {
    std::string label;
    std::vector<std::optional<double>> values;  // one per x; nullopt: no value there
    bool dashed = false;
  };
  struct Plot {
    std::string id, title;
    std::string unit;     // the y axis
    std::string x_label;  // the x axis, with its unit
    std::string x_name;   // the x column of the data table
    std::vector<double> x;
    std::vector<Line> lines;
    bool log_x = false;    // a base-2 log scale (GPU counts, intervals)
    bool log_y = false;    // a base-10 log scale (no value may be 0)
    bool asinh_y = false;  // a log-like scale that holds 0 (queue waits of jobs started at once)
  };
  void AddPlot(Plot plot);

  void Note(const std::string& text);

  // The command's JSON, embedded as the page's record.
  void Record(nlohmann::ordered_json record);

  // {"title", "command", "blocks": [{"kind": "figures"|"table"|"plot"|"note", ...}], "record"}.
  const nlohmann::ordered_json& json() const { return page_; }

 private:
  nlohmann::ordered_json page_;
};

// The page, naming gpufleet's `version`; kUnavailable when this build has no uPlot.
Result<std::string> FiguresPageHtml(const FiguresPage& page, const std::string& version);

}  // namespace gpufleet
