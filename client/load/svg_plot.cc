#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/load/compare_report.h"
#include "client/load/report.h"

// Every text in the plot is ours (numbers, mode and operation names, fixed
// titles), so none needs escaping.
namespace ledger::load {
namespace {

constexpr double kWidth = 1000;
constexpr double kHeight = 440;
constexpr double kPanelWidth = 380;
constexpr double kPanelHeight = 280;
constexpr double kTop = 80;  // of the panels
constexpr double kBottom = kTop + kPanelHeight;

// By mode: a colour, and a dash so that the modes differ without colour too.
constexpr std::array<const char*, kModeNames.size()> kColors = {"#1f77b4", "#d62728"};
constexpr std::array<const char*, kModeNames.size()> kDashes = {"none", "7 4"};

// Maps [low, high] (of the logarithms, on a log scale) onto the pixels
// [from, to].
struct Axis {
  double low;
  double high;
  bool log;
  double from;
  double to;

  double operator()(double value) const {
    return from + ((log ? std::log10(value) : value) - low) / (high - low) * (to - from);
  }
};

// One quantity of each mode's run against calls in flight.
struct Panel {
  const char* name;  // data-panel
  const char* title;
  bool log_scale;
  Figure figure;                      // its median is plotted, its range as a bar
  std::string (*label)(double);       // a value, in a tooltip
  std::string (*tick_label)(double);  // a round value, on the axis
};

// A mode's figure at a level, nullopt where no round measured it. Log
// scale: a p99 under a microsecond is shown as one.
std::optional<Spread> PlottedSpread(const Panel& panel, const LevelResult& level, size_t m) {
  Spread spread = ModeFigures(level.rounds[m], kModeNames[m])[panel.figure];
  if (spread.rounds == 0) return std::nullopt;
  if (panel.log_scale) {
    for (double* value : {&spread.median, &spread.min, &spread.max}) {
      *value = std::max(*value, 1e-3);
    }
  }
  return spread;
}
std::string LatencyLabel(double ms) { return FormatLatency(std::llround(ms * 1e6)); }
std::string LatencyTick(double ms) {
  if (ms >= 1000) return absl::StrFormat("%g s", ms / 1000);
  if (ms >= 1) return absl::StrFormat("%g ms", ms);
  return absl::StrFormat("%g us", ms * 1000);
}
std::string ThroughputLabel(double rate) { return absl::StrFormat("%.0f calls/s", rate); }
std::string CountTick(double count) {
  if (count >= 1e6) return absl::StrFormat("%gM", count / 1e6);
  if (count >= 1e3) return absl::StrFormat("%gk", count / 1e3);
  return absl::StrFormat("%g", count);
}

constexpr std::array<Panel, 2> kPanels = {{
    {"p99", "p99 latency (log scale)", true, kP99, LatencyLabel, LatencyTick},
    {"throughput", "throughput (calls/s)", false, kCallsPerSecond, ThroughputLabel, CountTick},
}};

// 1, 2 or 5 times a power of ten, at least `value`: a round top for an axis.
double NiceCeiling(double value) {
  if (value <= 0) return 1;
  const double decade = std::pow(10, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 5.0}) {
    if (step * decade >= value) return step * decade;
  }
  return 10 * decade;
}

// The y axis fitted to `values`, and the values to mark on it: each decade
// on a log scale, fifths of a round top on a linear one.
Axis FitY(const Panel& panel, std::vector<double> values, std::vector<double>& ticks) {
  if (values.empty()) values.push_back(1);
  const auto [smallest, largest] = std::ranges::minmax(values);
  if (!panel.log_scale) {
    const double top = NiceCeiling(largest * 1.05);
    for (int i = 0; i <= 5; ++i) ticks.push_back(top * i / 5);
    return {0, top, false, kBottom, kTop};
  }
  const double low = std::floor(std::log10(smallest));
  const double high = std::max(std::ceil(std::log10(largest)), low + 1);
  for (double decade = low; decade <= high; ++decade) ticks.push_back(std::pow(10, decade));
  return {low, high, true, kBottom, kTop};
}

// A <g class="panel">: its title, frame, grid and ticks, then per mode a
// <polyline class="series"> through the medians and per level a <line
// class="range"> from the lowest to the highest round and a <circle
// class="point"> at the median, whose data-* attributes hold the plotted
// values for scripts.
std::string DrawPanel(const CompareResult& result, const Panel& panel, const Axis& x) {
  std::vector<double> values;
  for (const LevelResult& level : result.levels) {
    for (size_t m = 0; m < kModeNames.size(); ++m) {
      if (std::optional<Spread> spread = PlottedSpread(panel, level, m)) {
        values.push_back(spread->min);
        values.push_back(spread->max);
      }
    }
  }
  std::vector<double> ticks;
  const Axis y = FitY(panel, std::move(values), ticks);
  const double left = x.from;
  const double middle = left + kPanelWidth / 2;
  std::string svg = absl::StrFormat(
      "<g class=\"panel\" data-panel=\"%s\">\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
      "font-weight=\"bold\">%s</text>\n",
      panel.name, middle, kTop - 12, panel.title);
  for (double tick : ticks) {
    absl::StrAppendFormat(
        &svg,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
        left, y(tick), left + kPanelWidth, y(tick), left - 6, y(tick) + 4, panel.tick_label(tick));
  }
  for (const LevelResult& level : result.levels) {  // the x ticks: the levels themselves
    const double px = x(level.concurrency);
    absl::StrAppendFormat(
        &svg,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n"
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n",
        px, kTop, px, kBottom, px, kBottom + 18, level.concurrency);
  }
  absl::StrAppendFormat(&svg,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                        "stroke=\"#444\"/>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
                        "calls in flight (log scale)</text>\n",
                        left, kTop, kPanelWidth, kPanelHeight, middle, kBottom + 40);
  for (size_t m = 0; m < kModeNames.size(); ++m) {
    std::vector<std::string> points;
    std::string circles;
    for (const LevelResult& level : result.levels) {
      const std::optional<Spread> spread = PlottedSpread(panel, level, m);
      if (!spread) continue;
      const double px = x(level.concurrency);
      const double py = y(spread->median);
      points.push_back(absl::StrFormat("%.1f,%.1f", px, py));
      absl::StrAppendFormat(
          &circles,
          "<line class=\"range\" data-mode=\"%s\" data-panel=\"%s\" data-concurrency=\"%d\" "
          "data-min=\"%g\" data-max=\"%g\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
          "stroke=\"%s\" stroke-width=\"1.5\"/>\n",
          kModeNames[m], panel.name, level.concurrency, spread->min, spread->max, px,
          y(spread->min), px, y(spread->max), kColors[m]);
      absl::StrAppendFormat(
          &circles,
          "<circle class=\"point\" data-mode=\"%s\" data-panel=\"%s\" data-concurrency=\"%d\" "
          "data-value=\"%g\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>%s, %d in flight: "
          "%s, median of %d round(s), %s to %s</title></circle>\n",
          kModeNames[m], panel.name, level.concurrency, spread->median, px, py, kColors[m],
          kModeNames[m], level.concurrency, panel.label(spread->median), spread->rounds,
          panel.label(spread->min), panel.label(spread->max));
    }
    absl::StrAppendFormat(&svg,
                          "<polyline class=\"series\" data-mode=\"%s\" data-panel=\"%s\" "
                          "fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"%s\" "
                          "points=\"%s\"/>\n%s",
                          kModeNames[m], panel.name, kColors[m], kDashes[m],
                          absl::StrJoin(points, " "), circles);
  }
  return svg + "</g>\n";
}

}  // namespace

std::string CompareSvg(const Options& options, const CompareResult& result) {
  // The title and the legend, top centre.
  std::string svg = absl::StrFormat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
      "width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<title>ledger-load --compare: p99 latency and throughput by serving "
      "mode</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%g\" "
      "y=\"24\" text-anchor=\"middle\" font-size=\"15\">ledger: coroutine vs thread mode, %s per "
      "point, mix %s</text>\n<g class=\"legend\">\n",
      kWidth, kHeight, kWidth, kHeight, kWidth / 2, absl::FormatDuration(options.plan.duration),
      FormatMix(options.workload.mix));
  for (size_t m = 0; m < kModeNames.size(); ++m) {
    const double x = kWidth / 2 - 130 + 160 * m;
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%g\" y1=\"44\" x2=\"%g\" y2=\"44\" stroke=\"%s\" "
                          "stroke-width=\"2\" stroke-dasharray=\"%s\"/>\n<text x=\"%g\" "
                          "y=\"48\">%s mode</text>\n",
                          x, x + 30, kColors[m], kDashes[m], x + 36, kModeNames[m]);
  }
  svg += "</g>\n";
  // Calls in flight on a log scale, with a margin so that the first and last
  // points do not sit on the frame.
  double low = 0, high = 1;
  if (!result.levels.empty()) {
    const auto [fewest, most] =
        std::ranges::minmax_element(result.levels, {}, &LevelResult::concurrency);
    low = std::log10(fewest->concurrency);
    high = std::log10(most->concurrency);
  }
  const double margin = high > low ? (high - low) * 0.08 : 0.5;
  for (size_t p = 0; p < kPanels.size(); ++p) {
    const double left = 90 + 500 * p;
    svg += DrawPanel(result, kPanels[p],
                     {low - margin, high + margin, true, left, left + kPanelWidth});
  }
  return svg + "</svg>\n";
}

}  // namespace ledger::load
