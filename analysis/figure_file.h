// figure_file.h: one figure as the files a researcher keeps: its data as two
// CSV files (every network, and the group means with their intervals), the
// gnuplot script that draws them, and the PNG, SVG and PDF it draws. The
// script names its data by relative file name, so `cd <dir> && gnuplot
// <name>.gp` redraws the figure after it was restyled, without the results.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "analysis/diagnostics.h"
#include "analysis/inference.h"  // Interval
#include "analysis/run.h"

namespace xfer {

// The CSV columns; the script selects rows with pick(source, series, column).
inline constexpr const char* kNetsColumns = "source,series,cell_id,n,x,top1";
inline constexpr const char* kMeansColumns = "source,series,n,x,mean,std,count,ci_low,ci_high";

struct FigureSpec {
  std::string name;  // file stem: <name>.gp, <name>_nets.csv, <name>_means.csv, <name>.png ...
  std::string title, xlabel, ylabel;
  std::vector<std::string> settings;  // more gnuplot lines before `plot` (ranges, labels)
  std::string nets_rows, means_rows;  // CSV rows, without the header
  std::vector<std::string> clauses;   // plot clauses over the data files `nets` and `means`
  int legend_entries = 0;             // sizes the room below the plot for the key
  // The range of the values drawn (networks and means): the y axis is fitted
  // to them, not to the interval bars, which with two networks a group
  // (t = 12.7) can span several times the data; bars beyond it are clipped.
  double y_lo = HUGE_VAL, y_hi = -HUGE_VAL;
  void cover(double v) {
    if (std::isfinite(v)) y_lo = std::min(y_lo, v), y_hi = std::max(y_hi, v);
  }
};

// Adds one series: its networks as points, its means joined by a line with
// 95% interval bars. Rows of one series stay together in the CSV, so the line
// is not broken by the rows of others. Only a series of two or more points
// (networks or means) gets a legend entry (`legend`; empty for none): a
// single point drawn from one value is not a series to name.
struct SeriesStyle {
  std::string color;
  bool hollow = false;     // the second data set: hollow points, dashed lines
  bool draw_nets = true;   // false: the networks are in the CSV but only the means are drawn
};
struct NetPoint {
  std::string cell_id;
  int n = 0;
  double x = 0, value = 0;
};
struct MeanPoint {
  int n = 0;
  double x = 0;
  Summary summary;
  Interval interval{};  // its 95% interval, drawn as a bar (none: no bar)
};
void add_series(FigureSpec& f, const std::string& source, const std::string& series, const std::string& legend,
                const SeriesStyle& style, const std::vector<NetPoint>& nets, const std::vector<MeanPoint>& means);

// The script as kept beside the figure. Variables `nets`, `means` and
// `outstem` default to the files beside it and can be set with gnuplot -e.
std::string figure_script(const FigureSpec& f);

// Writes the CSVs and the script, runs `gnuplot` on them and renders PNG, SVG
// and, where gnuplot has the pdfcairo terminal, PDF (else a warning). All
// files appear under their final names only once every one was drawn.
// Appends the figures written to `written`; throws std::runtime_error when
// gnuplot fails, leaving nothing behind.
void render_figure(const FigureSpec& f, const std::filesystem::path& dir, const std::string& gnuplot,
                   std::vector<std::filesystem::path>& written, Diagnostics& diag);

// Single-quoted for gnuplot: a quote inside is doubled.
std::string gp_quote(const std::string& s);

}  // namespace xfer
