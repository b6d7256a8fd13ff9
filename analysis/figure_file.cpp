// figure_file.cpp: a figure's CSV data, its kept gnuplot script, and drawing it.
#include "analysis/figure_file.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "analysis/inference.h"
#include "io/atomic_file.h"

namespace xfer {

namespace fs = std::filesystem;

std::string gp_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

namespace {

// Keys stay plain CSV fields: gnuplot splits on every comma, quoted or not.
std::string field(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (c == ',' || c == '"' || c == '\n') c = ';';
  return out;
}

// NaN is written out: pandas and gnuplot both read it as "no value".
std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string pick(const std::string& source, const std::string& series, const char* column) {
  return "(pick(" + gp_quote(field(source)) + ", " + gp_quote(field(series)) + ", '" + column + "'))";
}

std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

void add_series(FigureSpec& f, const std::string& source, const std::string& series, const std::string& legend,
                const SeriesStyle& style, const std::vector<NetPoint>& nets, const std::vector<MeanPoint>& means) {
  const std::string src = field(source), ser = field(series), color = " lc rgb '" + style.color + "'";
  bool any_interval = false;
  for (const auto& p : nets) {
    if (style.draw_nets) f.cover(p.value);
    f.nets_rows += src + "," + ser + "," + field(p.cell_id) + "," + std::to_string(p.n) + "," + number(p.x) + "," +
                   number(p.value) + "\n";
  }
  for (const auto& m : means) {
    f.cover(m.summary.mean);
    const Interval& ci = m.interval;
    any_interval |= !ci.empty();
    if (!ci.empty()) {  // the bar stays inside the plot
      f.cover(ci.low);
      f.cover(ci.high);
    }
    f.means_rows += src + "," + ser + "," + std::to_string(m.n) + "," + number(m.x) + "," + number(m.summary.mean) +
                    "," + number(m.summary.std) + "," + std::to_string(m.summary.count) + "," + number(ci.low) + "," +
                    number(ci.high) + "\n";
  }
  if (!nets.empty() && style.draw_nets)
    f.clauses.push_back("nets using 'x':" + pick(source, series, "top1") + " with points pt " +
                        (style.hollow ? "6" : "7") + " ps 0.6" + color + " notitle");
  if (means.empty()) return;
  bool named = (means.size() >= 2 || nets.size() >= 2) && !legend.empty();
  f.clauses.push_back("means using 'x':" + pick(source, series, "mean") + " with linespoints lw 2 pt " +
                      (style.hollow ? "4" : "5") + " ps 0.8 dt " + (style.hollow ? "2" : "1") + color +
                      (named ? " title " + gp_quote(legend) : " notitle"));
  if (named) ++f.legend_entries;
  if (any_interval)
    f.clauses.push_back("means using 'x':" + pick(source, series, "mean") +
                        ":'ci_low':'ci_high' with yerrorbars pt 0 lw 1.2" + color + " notitle");
}

std::string figure_script(const FigureSpec& f) {
  // Room below the plot for the key, so the key does not shrink the plot.
  int key_rows = (f.legend_entries + 2) / 3;
  int height_px = 620 + 24 * key_rows;
  double height_in = 4.6 + 0.18 * key_rows;
  std::ostringstream s;
  s << "# " << f.name << ".gp: " << f.title << "\n"
    << "# Redraw with `gnuplot " << f.name << ".gp` in this folder: it reads " << f.name << "_nets.csv (one row\n"
    << "# per network) and " << f.name << "_means.csv (one row per group and n: mean, std, count, 95% CI)\n"
    << "# and writes " << f.name << ".png, .svg and, where gnuplot has pdfcairo, .pdf.\n"
    << "if (!exists(\"nets\")) nets = " << gp_quote(f.name + "_nets.csv") << "\n"
    << "if (!exists(\"means\")) means = " << gp_quote(f.name + "_means.csv") << "\n"
    << "if (!exists(\"outstem\")) outstem = " << gp_quote(f.name) << "\n"
    << "set datafile separator ','\nset datafile columnheaders\n"
    << "# The value of column c on the rows of one source and series; NaN (not drawn) elsewhere.\n"
    << "pick(s, g, c) = (strcol('source') eq s && strcol('series') eq g) ? column(c) : NaN\n"
    << "set title " << gp_quote(f.title) << " noenhanced\nset xlabel " << gp_quote(f.xlabel)
    << "\nset ylabel " << gp_quote(f.ylabel) << "\nset grid\n"
    << "set key below horizontal maxcols 3 noenhanced\n";
  if (f.y_lo <= f.y_hi) {  // fitted to the values drawn, with a margin
    const double margin = std::max(0.05 * (f.y_hi - f.y_lo), 0.01);
    s << "set yrange [" << number(f.y_lo - margin) << ":" << number(f.y_hi + margin) << "]\n";
  }
  for (const auto& line : f.settings) s << line << "\n";
  s << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size 900," << height_px
    << " font 'sans,11' } else { set terminal png size 900," << height_px << " }\n"
    << "set output outstem.'.png'\nplot ";
  for (size_t i = 0; i < f.clauses.size(); ++i) s << (i ? ", \\\n     " : "") << f.clauses[i];
  s << "\nset terminal svg size 900," << height_px << " font 'sans,11' background '#ffffff'\n"
    << "set output outstem.'.svg'\nreplot\n"
    << "if (strstrt(GPVAL_TERMINALS, 'pdfcairo') > 0) {\n  set terminal pdfcairo size 7in," << height_in
    << "in font 'sans,9'\n  set output outstem.'.pdf'\n  replot\n}\nunset output\n";
  return s.str();
}

void render_figure(const FigureSpec& f, const fs::path& dir, const std::string& gnuplot,
                   std::vector<fs::path>& written, Diagnostics& diag) {
  const fs::path stem = dir / f.name, tstem = temp_path_for(stem.string());
  auto with = [](const fs::path& p, const std::string& suffix) { return fs::path(p.string() + suffix); };
  // Final name, temporary name; the data and script are written, the images drawn.
  const std::vector<std::string> suffixes = {"_nets.csv", "_means.csv", ".gp", ".png", ".svg", ".pdf"};
  const fs::path err = with(tstem, ".err");
  auto cleanup = [&] {
    std::error_code ec;
    for (const auto& sfx : suffixes) fs::remove(with(tstem, sfx), ec);
    fs::remove(err, ec);
  };
  // Written (and fsynced) under the temporary names; renamed with the images below.
  auto write_temp = [&](const std::string& sfx, const std::string& text) {
    write_file_checked(with(tstem, sfx).string(), text.data(), text.size(), with(stem, sfx).string());
  };
  try {
    write_temp("_nets.csv", std::string(kNetsColumns) + "\n" + f.nets_rows);
    write_temp("_means.csv", std::string(kMeansColumns) + "\n" + f.means_rows);
    write_temp(".gp", figure_script(f));
  } catch (...) {
    cleanup();
    throw;
  }
  std::string vars = "nets=" + gp_quote(with(tstem, "_nets.csv").string()) + "; means=" +
                     gp_quote(with(tstem, "_means.csv").string()) + "; outstem=" + gp_quote(tstem.string());
  std::string cmd = sh_quote(gnuplot) + " -e " + sh_quote(vars) + " " + sh_quote(with(tstem, ".gp").string()) +
                    " 2>" + sh_quote(err.string());
  int rc = std::system(cmd.c_str());
  std::error_code ec;
  if (rc != 0 || fs::file_size(with(tstem, ".png"), ec) == 0 || fs::file_size(with(tstem, ".svg"), ec) == 0) {
    std::string msg = slurp(err);
    cleanup();
    throw std::runtime_error("gnuplot failed on figure '" + f.name + "' (exit " + std::to_string(rc) + "): " + msg);
  }
  bool pdf = fs::exists(with(tstem, ".pdf")) && fs::file_size(with(tstem, ".pdf"), ec) > 0;
  if (!pdf) diag.warn("", 0, "figure '" + f.name + "': this gnuplot has no pdfcairo terminal, so no PDF (PNG and SVG written)");
  for (const auto& sfx : suffixes) {
    if (sfx == ".pdf" && !pdf) continue;
    commit_file(with(tstem, sfx).string(), with(stem, sfx).string());
    written.push_back(with(stem, sfx));
  }
  cleanup();
}

}  // namespace xfer
