#include "client/load/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "client/load/report.h"

namespace ledger::load {
namespace {

constexpr double kWidth = 1000;
constexpr double kHeight = 440;
constexpr double kPanelWidth = 380;
constexpr double kPanelHeight = 280;
constexpr double kPanelTop = 80;
constexpr std::array<double, 2> kPanelLeft = {90, 590};

struct ModeStyle {
  const char* color;
  const char* dash;  // dashed too, so the modes differ without colour
};
constexpr std::array<ModeStyle, kModeNames.size()> kModeStyles = {{
    {"#1f77b4", "none"},
    {"#d62728", "7 4"},
}};

std::string Escape(absl::string_view text) {
  return absl::StrReplaceAll(text,
                             {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

std::string Number(double value) { return absl::StrFormat("%.1f", value); }

// Maps a value range onto pixels, linearly or by its logarithm.
struct Axis {
  double low;
  double high;
  bool log;
  double pixel_from;  // where `low` lands
  double pixel_to;    // where `high` lands

  double operator()(double value) const {
    const double v = log ? std::log10(value) : value;
    return pixel_from + (v - low) / (high - low) * (pixel_to - pixel_from);
  }
};

// 1, 2 or 5 times a power of ten, at least `value`: a round top for an axis.
double NiceCeiling(double value) {
  if (value <= 0) return 1;
  const double decade = std::pow(10, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 5.0, 10.0}) {
    if (step * decade >= value) return step * decade;
  }
  return 10 * decade;
}

std::string FormatCount(double value) {
  if (value >= 1e6) return absl::StrFormat("%gM", value / 1e6);
  if (value >= 1e3) return absl::StrFormat("%gk", value / 1e3);
  return absl::StrFormat("%g", value);
}

struct Panel {
  const char* name;   // data-panel
  const char* title;  // above the panel
  // The value plotted for one mode at one level; nullopt leaves it out.
  std::function<std::optional<double>(const ModeAtLevel&)> value;
  std::function<std::string(double)> label;       // a value, in a tooltip
  std::function<std::string(double)> tick_label;  // a round value, on an axis
  bool log_scale;
};

// The panel's y axis, fitted to its values, and the ticks to label on it.
Axis FitYAxis(const CompareResult& result, const Panel& panel, std::vector<double>& ticks) {
  std::vector<double> values;
  for (const LevelResult& level : result.levels) {
    for (const ModeAtLevel& mode : level.modes) {
      if (auto value = panel.value(mode)) values.push_back(*value);
    }
  }
  Axis y{0, 1, panel.log_scale, kPanelTop + kPanelHeight, kPanelTop};
  if (panel.log_scale) {
    if (!values.empty()) {
      y.low = std::floor(std::log10(*std::min_element(values.begin(), values.end())));
      y.high = std::ceil(std::log10(*std::max_element(values.begin(), values.end())));
      if (y.high <= y.low) y.high = y.low + 1;
    }
    for (double decade = y.low; decade <= y.high; ++decade) ticks.push_back(std::pow(10, decade));
  } else {
    const double max = values.empty() ? 1 : *std::max_element(values.begin(), values.end());
    y.high = NiceCeiling(max * 1.05);
    for (int i = 0; i <= 5; ++i) ticks.push_back(y.high * i / 5);
  }
  return y;
}

// The title, the frame, the grid and the ticks of both axes.
void DrawFrame(std::string& svg, const CompareResult& result, const Panel& panel, double left,
               const Axis& x, const Axis& y, const std::vector<double>& ticks) {
  const double top = kPanelTop;
  const double bottom = kPanelTop + kPanelHeight;
  absl::StrAppend(&svg, "<text x=\"", Number(left + kPanelWidth / 2), "\" y=\"", Number(top - 12),
                  "\" text-anchor=\"middle\" font-weight=\"bold\">", Escape(panel.title),
                  "</text>\n");
  for (double tick : ticks) {
    const double py = y(tick);
    absl::StrAppend(&svg, "<line x1=\"", Number(left), "\" y1=\"", Number(py), "\" x2=\"",
                    Number(left + kPanelWidth), "\" y2=\"", Number(py),
                    "\" stroke=\"#ddd\"/>\n<text x=\"", Number(left - 6), "\" y=\"", Number(py + 4),
                    "\" text-anchor=\"end\">", Escape(panel.tick_label(tick)), "</text>\n");
  }
  // x ticks: the levels themselves.
  for (const LevelResult& level : result.levels) {
    const double px = x(level.concurrency);
    absl::StrAppend(&svg, "<line x1=\"", Number(px), "\" y1=\"", Number(top), "\" x2=\"",
                    Number(px), "\" y2=\"", Number(bottom), "\" stroke=\"#eee\"/>\n<text x=\"",
                    Number(px), "\" y=\"", Number(bottom + 18), "\" text-anchor=\"middle\">",
                    level.concurrency, "</text>\n");
  }
  absl::StrAppend(&svg, "<rect x=\"", Number(left), "\" y=\"", Number(top), "\" width=\"",
                  Number(kPanelWidth), "\" height=\"", Number(kPanelHeight),
                  "\" fill=\"none\" stroke=\"#444\"/>\n");
  absl::StrAppend(&svg, "<text x=\"", Number(left + kPanelWidth / 2), "\" y=\"",
                  Number(bottom + 40),
                  "\" text-anchor=\"middle\">calls in flight (log scale)</text>\n");
}

// Mode `m`'s line, and a point per level with its value for scripts.
void DrawSeries(std::string& svg, const CompareResult& result, const Panel& panel, size_t m,
                const Axis& x, const Axis& y) {
  std::vector<std::string> points;
  std::string markers;
  for (const LevelResult& level : result.levels) {
    const std::optional<double> value = panel.value(level.modes[m]);
    if (!value) continue;
    const std::string px = Number(x(level.concurrency));
    const std::string py = Number(y(*value));
    points.push_back(absl::StrCat(px, ",", py));
    absl::StrAppend(&markers, "<circle class=\"point\" data-mode=\"", kModeNames[m],
                    "\" data-panel=\"", panel.name, "\" data-concurrency=\"", level.concurrency,
                    "\" data-value=\"", absl::StrFormat("%g", *value), "\" cx=\"", px, "\" cy=\"",
                    py, "\" r=\"4\" fill=\"", kModeStyles[m].color, "\"><title>", kModeNames[m],
                    ", ", level.concurrency, " in flight: ", Escape(panel.label(*value)),
                    "</title></circle>\n");
  }
  absl::StrAppend(&svg, "<polyline class=\"series\" data-mode=\"", kModeNames[m],
                  "\" data-panel=\"", panel.name, "\" fill=\"none\" stroke=\"",
                  kModeStyles[m].color, "\" stroke-width=\"2\" stroke-dasharray=\"",
                  kModeStyles[m].dash, "\" points=\"", absl::StrJoin(points, " "), "\"/>\n",
                  markers);
}

void DrawPanel(std::string& svg, const CompareResult& result, const Panel& panel, double left,
               const Axis& x) {
  std::vector<double> ticks;
  const Axis y = FitYAxis(result, panel, ticks);
  absl::StrAppend(&svg, "<g class=\"panel\" data-panel=\"", panel.name, "\">\n");
  DrawFrame(svg, result, panel, left, x, y, ticks);
  for (size_t m = 0; m < kModeNames.size(); ++m) DrawSeries(svg, result, panel, m, x, y);
  svg += "</g>\n";
}

// The document's start, its title and the legend, top centre.
std::string Heading(const Options& options) {
  std::string svg = absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", kWidth, "\" height=\"", kHeight,
      "\" viewBox=\"0 0 ", kWidth, " ", kHeight,
      "\" font-family=\"sans-serif\" font-size=\"12\">\n",
      "<title>ledger-load --compare: p99 latency and throughput by serving mode</title>\n",
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
  absl::StrAppend(&svg, "<text x=\"", kWidth / 2,
                  "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">",
                  Escape(absl::StrCat("ledger: coroutine vs thread mode, ",
                                      absl::FormatDuration(options.plan.duration),
                                      " per point, mix ", FormatMix(options.workload.mix))),
                  "</text>\n");

  svg += "<g class=\"legend\">\n";
  for (size_t m = 0; m < kModeNames.size(); ++m) {
    const double x = kWidth / 2 - 130 + 160 * m;
    absl::StrAppend(&svg, "<line x1=\"", x, "\" y1=\"44\" x2=\"", x + 30, "\" y2=\"44\" stroke=\"",
                    kModeStyles[m].color, "\" stroke-width=\"2\" stroke-dasharray=\"",
                    kModeStyles[m].dash, "\"/>\n<text x=\"", x + 36, "\" y=\"48\">", kModeNames[m],
                    " mode</text>\n");
  }
  svg += "</g>\n";
  return svg;
}

}  // namespace

std::string CompareSvg(const Options& options, const CompareResult& result) {
  std::vector<int> levels;
  for (const LevelResult& level : result.levels) levels.push_back(level.concurrency);
  double low = 0, high = 1;
  if (!levels.empty()) {
    low = std::log10(*std::min_element(levels.begin(), levels.end()));
    high = std::log10(*std::max_element(levels.begin(), levels.end()));
  }
  // A margin, so the first and last points do not sit on the frame.
  const double margin = high > low ? (high - low) * 0.08 : 0.5;

  const std::array<Panel, 2> panels = {{
      {"p99", "p99 latency (log scale)",
       [](const ModeAtLevel& m) -> std::optional<double> {
         if (m.run.calls() == 0) return std::nullopt;
         // Log scale: a p99 under a microsecond is shown as one.
         return std::max(Milliseconds(m.run.latency.PercentileNanos(99)), 1e-3);
       },
       [](double ms) { return FormatLatency(static_cast<int64_t>(std::llround(ms * 1e6))); },
       [](double ms) {
         if (ms >= 1000) return absl::StrFormat("%g s", ms / 1000);
         if (ms >= 1) return absl::StrFormat("%g ms", ms);
         return absl::StrFormat("%g us", ms * 1000);
       },
       true},
      {"throughput", "throughput (calls/s)",
       [](const ModeAtLevel& m) -> std::optional<double> { return m.run.throughput(); },
       [](double rate) { return absl::StrFormat("%.0f calls/s", rate); }, FormatCount, false},
  }};

  std::string svg = Heading(options);
  for (size_t p = 0; p < panels.size(); ++p) {
    const Axis x{low - margin, high + margin, true, kPanelLeft[p], kPanelLeft[p] + kPanelWidth};
    DrawPanel(svg, result, panels[p], kPanelLeft[p], x);
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace ledger::load
