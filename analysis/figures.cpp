// figures.cpp: gnuplot scripts and data for the paper's figures.
#include "analysis/figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "analysis/groups.h"
#include "analysis/tables.h"
#include "io/atomic_file.h"

namespace xfer {

namespace fs = std::filesystem;

namespace {

using Points = std::vector<std::pair<double, double>>;

// A figure being assembled: data blocks (gnuplot's `index`) and plot clauses.
struct Figure {
  std::string name, title, xlabel, ylabel, extra;  // extra: more `set` lines
  std::ostringstream data;
  int blocks = 0;
  std::vector<std::string> clauses;

  // Adds a series; nothing when it has no points (gnuplot refuses empty ones).
  void add(const Points& pts, const std::string& style, const std::string& title) {
    if (pts.empty()) return;
    for (const auto& [x, y] : pts) data << x << " " << y << "\n";
    data << "\n\n";
    clauses.push_back("datafile index " + std::to_string(blocks++) + " " + style +
                      (title.empty() ? " notitle" : " title '" + title + "'"));
  }
};

std::string gp_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Source 0 filled and solid, source 1 hollow and dashed.
std::string point_style(size_t source, const std::string& color) {
  return "with points pt " + std::string(source == 0 ? "7" : "6") + " ps 0.8 lc rgb '" + color + "'";
}
std::string line_style(size_t source, const std::string& color) {
  return "with linespoints lw 2 pt " + std::string(source == 0 ? "5" : "4") + " dt " +
         (source == 0 ? "1" : "2") + " lc rgb '" + color + "'";
}
std::string legend(const std::vector<const Dataset*>& src, size_t i, const std::string& what) {
  return src.size() > 1 ? src[i]->name + " " + what : what;
}

// Every net of `pick` at x (plus a small offset, so groups stand apart).
template <class Pred>
Points scatter(const Dataset& ds, Statistic s, double x, Pred pick) {
  Points p;
  for (double v : ds.values(s, pick)) p.push_back({x, v});
  return p;
}

// Draws the figure: PNG and SVG under temporary names, renamed when gnuplot succeeded.
void draw(Figure& f, const fs::path& dir, const std::string& gnuplot, std::vector<fs::path>& written) {
  fs::path png = dir / (f.name + ".png"), svg = dir / (f.name + ".svg");
  fs::path tpng = temp_path_for(png.string()), tsvg = temp_path_for(svg.string());
  fs::path dat = temp_path_for((dir / (f.name + ".dat")).string());
  fs::path gp = temp_path_for((dir / (f.name + ".gp")).string());
  fs::path err = temp_path_for((dir / (f.name + ".err")).string());
  std::ostringstream script;
  script << "datafile = " << gp_quote(dat.string()) << "\n"
         << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size 900,650 enhanced font 'sans,11' }"
         << " else { set terminal png size 900,650 }\n"
         << "set output " << gp_quote(tpng.string()) << "\n"
         << "set title " << gp_quote(f.title) << "\nset xlabel " << gp_quote(f.xlabel)
         << "\nset ylabel " << gp_quote(f.ylabel) << "\nset grid\nset key outside right top\n"
         << f.extra << "plot ";
  for (size_t i = 0; i < f.clauses.size(); ++i) script << (i ? ", \\\n     " : "") << f.clauses[i];
  script << "\nset terminal svg size 900,650 enhanced font 'sans,11' background '#ffffff'\n"
         << "set output " << gp_quote(tsvg.string()) << "\nreplot\nunset output\n";
  auto cleanup = [&] {
    std::error_code ec;
    for (const auto& p : {dat, gp, err, tpng, tsvg}) fs::remove(p, ec);
  };
  write_file_atomic(dat.string(), f.data.str());
  write_file_atomic(gp.string(), script.str());
  std::string cmd = sh_quote(gnuplot) + " " + sh_quote(gp.string()) + " 2>" + sh_quote(err.string());
  int rc = std::system(cmd.c_str());
  std::error_code ec;
  if (rc != 0 || fs::file_size(tpng, ec) == 0 || fs::file_size(tsvg, ec) == 0) {
    std::ifstream e(err);
    std::string msg((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
    cleanup();
    throw std::runtime_error("gnuplot failed on figure '" + f.name + "' (exit " + std::to_string(rc) + "): " + msg);
  }
  commit_file(tpng.string(), png.string());
  commit_file(tsvg.string(), svg.string());
  cleanup();
  written.push_back(png);
  written.push_back(svg);
}

const char* group_color(Group g) {
  switch (g) {
    case Group::BaseB: return "#404040";
    case Group::BnB: return "#1f3fbf";
    case Group::BnBPlus: return "#5fa0ff";
    case Group::AnB: return "#cc2020";
    case Group::AnBPlus: return "#ff9090";
  }
  return "#000000";
}

}  // namespace

std::vector<fs::path> write_figures(const std::vector<const Dataset*>& src, const FigureOptions& opt,
                                    Diagnostics& diag) {
  const Statistic s = opt.statistic;
  const std::string ylabel = std::string("top-1 accuracy (") + to_string(s) + ")";
  std::vector<Figure> figs(4);

  // Figure 2: every net, groups side by side at each n, means joined.
  Figure& tr = figs[0];
  tr.name = "transfer";
  tr.title = "Transfer: base, selffer (BnB) and transfer (AnB), + = fine-tuned";
  tr.xlabel = "layer n at which the network is chopped and retrained";
  tr.ylabel = ylabel;
  tr.extra = "set xrange [-0.5:7.5]\nset xtics 0,1,7\n";
  const std::pair<Group, double> offsets[] = {{Group::BnB, -0.15}, {Group::BnBPlus, -0.05},
                                              {Group::AnB, 0.05}, {Group::AnBPlus, 0.15}};
  for (size_t i = 0; i < src.size(); ++i) {
    const Dataset& ds = *src[i];
    auto base = [](const Cell& c) { return in_group(c, Group::BaseB, 0); };
    tr.add(scatter(ds, s, 0, base), point_style(i, group_color(Group::BaseB)), legend(src, i, "baseB"));
    for (auto [g, dx] : offsets) {
      Points pts, means;
      for (int n = 1; n <= 7; ++n) {
        auto pick = [g = g, n](const Cell& c) { return in_group(c, g, n); };
        for (auto p : scatter(ds, s, n + dx, pick)) pts.push_back(p);
        Summary m = summarize(ds.values(s, pick));
        if (!m.empty()) means.push_back({n + dx, m.mean});
      }
      Summary b = summarize(ds.values(s, base));
      if (!b.empty() && !means.empty()) means.insert(means.begin(), {0, b.mean});
      tr.add(pts, point_style(i, group_color(g)), "");
      tr.add(means, line_style(i, group_color(g)), legend(src, i, label(g)));
    }
  }

  // Figure 3 top: dissimilar-split transfers and random filters beside random-split AnB.
  Figure& ds3 = figs[1];
  ds3.name = "dissimilar";
  ds3.title = "Dissimilar splits and random filters";
  ds3.xlabel = "layer n";
  ds3.ylabel = ylabel;
  ds3.extra = "set xrange [-0.5:7.5]\nset xtics 0,1,7\n";
  for (size_t i = 0; i < src.size(); ++i) {
    const Dataset& ds = *src[i];
    auto series = [&](const std::string& what, const std::string& color, auto base_pick, auto n_pick) {
      Points pts, means;
      Summary b = summarize(ds.values(s, base_pick));
      for (auto p : scatter(ds, s, 0, base_pick)) pts.push_back(p);
      if (!b.empty()) means.push_back({0, b.mean});
      for (int n = 1; n <= 7; ++n) {
        auto pick = [&](const Cell& c) { return n_pick(c, n); };
        for (auto p : scatter(ds, s, n, pick)) pts.push_back(p);
        Summary m = summarize(ds.values(s, pick));
        if (!m.empty()) means.push_back({double(n), m.mean});
      }
      ds3.add(pts, point_style(i, color), "");
      ds3.add(means, line_style(i, color), legend(src, i, what));
    };
    series("random A/B: AnB", group_color(Group::AnB), [](const Cell& c) { return in_group(c, Group::BaseB, 0); },
           [](const Cell& c, int n) { return in_group(c, Group::AnB, n); });
    const char* greens[] = {"#1a7f1a", "#7fcf5f"};
    for (const auto& split : dissimilar_splits(ds))
      for (char t : {'A', 'B'})
        series(split + " to " + half_label(split, t), greens[t - 'A'],
               [&](const Cell& c) { return c.split == split && c.kind == CellKind::Base && c.target == t && c.reduced_k == 0; },
               [&](const Cell& c, int n) { return c.split == split && c.kind == CellKind::Transfer && c.target == t && c.source != t && c.n == n && c.mode == TransferMode::Frozen; });
    series("random filters", "#e08000", [](const Cell& c) { return is_all_base(c); },
           [](const Cell& c, int n) { return is_all_random(c, n); });
    // The control on the random halves (the complete and fashion-mnist grids).
    series("random filters, halves", "#b06000", [](const Cell& c) { return in_group(c, Group::BaseB, 0); },
           [](const Cell& c, int n) {
             return c.kind == CellKind::Random && c.is_random_split() && c.n == n;
           });
  }

  // Figure 3 bottom: AnB minus its target's base.
  Figure& rel = figs[2];
  rel.name = "relative";
  rel.title = "Transfer relative to the target's base";
  rel.xlabel = "layer n";
  rel.ylabel = "relative top-1 accuracy";
  rel.extra = "set xrange [0.5:7.5]\nset xtics 1,1,7\n";
  for (size_t i = 0; i < src.size(); ++i) {
    for (const auto& series : relative_series(*src[i])) {
      Points pts;
      for (int n = 1; n <= 7; ++n) {
        Summary m = relative_summary(*src[i], s, series, n, nullptr);
        if (!m.empty()) pts.push_back({double(n), m.mean});
      }
      const char* color = series == "random" ? group_color(Group::AnB) : series == "random filters" ? "#e08000" : "#1a7f1a";
      rel.add(pts, line_style(i, color), legend(src, i, series == "random" ? "random A/B" : series));
    }
  }

  // Reduced volume.
  Figure& red = figs[3];
  red.name = "reduced";
  red.title = "Reduced volume: images per class";
  red.xlabel = "training images per class K";
  red.ylabel = ylabel;
  red.extra = "set logscale x\nset xrange [0.7:2000]\n";
  for (size_t i = 0; i < src.size(); ++i) {
    Points pts;
    for (const auto& [id, run] : src[i]->runs)
      if (run.cell.split == "all" && run.cell.kind == CellKind::Base && run.cell.reduced_k > 0)
        pts.push_back({double(run.cell.reduced_k), curve_statistic(run.curve, s)});
    std::sort(pts.begin(), pts.end());
    red.add(pts, line_style(i, "#303090"), legend(src, i, "all classes"));
  }

  std::vector<fs::path> written;
  for (auto& f : figs) {
    if (f.clauses.empty()) {
      diag.warn("", 0, "figure '" + f.name + "' has no networks to draw: not written");
      continue;
    }
    draw(f, opt.out_dir, opt.gnuplot, written);
  }
  return written;
}

}  // namespace xfer
