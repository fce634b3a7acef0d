#include "report/figures_page.h"

#include <cmath>

#include "report/html_report.h"

namespace gpufleet {

using ojson = nlohmann::ordered_json;

FiguresPage::FiguresPage(std::string title, std::string command)
    : page_({{"title", std::move(title)},
             {"command", std::move(command)},
             {"blocks", ojson::array()},
             {"record", nullptr}}) {}

namespace {

// JSON has no infinity or NaN: a figure that is one (a run that never fails has an infinite
// MTBF) is null, shown as "-".
ojson Finite(const ojson& v) {
  return v.is_number() && !std::isfinite(v.get<double>()) ? ojson(nullptr) : v;
}

}  // namespace

void FiguresPage::Figures(const std::string& id, const std::string& title,
                          const std::vector<std::pair<std::string, ojson>>& figures) {
  ojson rows = ojson::array();
  for (const auto& [name, value] : figures) rows.push_back({name, Finite(value)});
  page_["blocks"].push_back({{"kind", "figures"}, {"id", id}, {"title", title}, {"rows", rows}});
}

void FiguresPage::Table(const std::string& id, const std::string& title,
                        std::vector<std::string> header,
                        const std::vector<std::vector<ojson>>& rows) {
  ojson out = ojson::array();
  for (const std::vector<ojson>& row : rows) {
    ojson cells = ojson::array();
    for (const ojson& c : row) cells.push_back(Finite(c));
    out.push_back(std::move(cells));
  }
  page_["blocks"].push_back({{"kind", "table"},
                             {"id", id},
                             {"title", title},
                             {"header", std::move(header)},
                             {"rows", std::move(out)}});
}

void FiguresPage::AddPlot(Plot plot) {
  ojson lines = ojson::array();
  for (const Line& l : plot.lines) {
    ojson values = ojson::array();
    for (const std::optional<double>& v : l.values)
      values.push_back(v && std::isfinite(*v) ? ojson(*v) : ojson(nullptr));
    lines.push_back({{"label", l.label}, {"values", std::move(values)}, {"dashed", l.dashed}});
  }
  page_["blocks"].push_back({{"kind", "plot"},
                             {"id", std::move(plot.id)},
                             {"title", std::move(plot.title)},
                             {"unit", std::move(plot.unit)},
                             {"x_label", std::move(plot.x_label)},
                             {"x_name", std::move(plot.x_name)},
                             {"x", std::move(plot.x)},
                             {"lines", std::move(lines)},
                             {"log_x", plot.log_x},
                             {"log_y", plot.log_y},
                             {"asinh_y", plot.asinh_y}});
}

void FiguresPage::Note(const std::string& text) {
  page_["blocks"].push_back({{"kind", "note"}, {"text", text}});
}

void FiguresPage::Record(ojson record) { page_["record"] = std::move(record); }

}  // namespace gpufleet
