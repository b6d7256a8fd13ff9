// figures.cpp: which networks and group means make up each of the paper's
// figures; figure_file.cpp turns them into CSV, a gnuplot script and images.
#include "analysis/figures.h"

#include <cmath>
#include <cstdio>
#include <set>
#include <tuple>
#include <utility>

#include "analysis/effects.h"
#include "analysis/figure_file.h"
#include "analysis/generality.h"
#include "analysis/groups.h"
#include "analysis/paired.h"
#include "analysis/tables.h"

namespace xfer {

namespace fs = std::filesystem;

namespace {

using Sources = std::vector<const Dataset*>;
constexpr const char* kAccuracy = "top-1 accuracy";
constexpr const char* kRandomFilterColor = "#e08000";

const char* group_color(Group g) {
  switch (g) {
    case Group::BaseB: return "#404040";
    case Group::BnB: return "#1f3fbf";
    case Group::BnBPlus: return "#5fa0ff";
    case Group::AnB: return "#cc2020";
    case Group::AnBPlus: return "#ff9090";
    case Group::ContinuedB: return "#808080";
  }
  return "#000000";
}

// Groups side by side at each n, so their points and bars do not overlap.
double offset(Group g) {
  switch (g) {
    case Group::BnB: return -0.15;
    case Group::BnBPlus: return -0.05;
    case Group::AnB: return 0.05;
    case Group::AnBPlus: return 0.15;
    default: return 0;
  }
}

// What one network's number is, for the titles.
std::string per_network(const Sources& src, Statistic s) {
  bool fewer = false;  // a run with fewer than 10 tests: its statistic is the mean of all of them
  for (const Dataset* d : src)
    for (const auto& [id, run] : d->runs) fewer |= run.curve.size() < 10;
  switch (s) {
    case Statistic::Top10:
      return fewer ? "per network: mean of its 10 best tests, or of all where it has fewer"
                   : "per network: mean of its 10 best tests";
    case Statistic::Best: return "per network: its best test";
    case Statistic::Final: return "per network: its last test";
  }
  return "";
}

FigureSpec make_spec(std::string name, std::string title, std::string xlabel, std::string ylabel) {
  FigureSpec f;
  f.name = std::move(name);
  f.title = std::move(title);
  f.xlabel = std::move(xlabel);
  f.ylabel = std::move(ylabel);
  return f;
}

// The n axis of `f`, from `from` (0: with the bases) to the networks' last
// unit. Where the units are stages each tick also names its stage ("2" over
// "layer1"), the axis says "stage n", and its label moves below the ticks.
void set_n_axis(FigureSpec& f, const Sources& src, int from) {
  const int top = max_layers(src);
  f.settings.push_back("set xrange [" + std::to_string(from) + "-0.5:" + std::to_string(top) + ".5]");
  if (layer_label(src, top) == std::to_string(top)) {
    f.settings.push_back("set xtics " + std::to_string(from) + ",1," + std::to_string(top));
    return;
  }
  std::string tics;
  for (int n = from; n <= top; ++n) {
    std::string tick = n == 0 ? "0" : layer_label(src, n);  // "2 (layer1)"
    if (const size_t open = tick.find(" ("); open != std::string::npos)
      tick = tick.substr(0, open) + "\\n" + tick.substr(open + 2, tick.size() - open - 3);
    tics += std::string(tics.empty() ? "" : ", ") + "\"" + tick + "\" " + std::to_string(n);
  }
  f.settings.push_back("set xtics (" + tics + ")");
  if (const size_t at = f.xlabel.find("layer n"); at != std::string::npos) f.xlabel.replace(at, 7, "stage n");
  f.settings.push_back("set xlabel " + gp_quote(f.xlabel) + " offset 0,-0.8");
}

SeriesStyle style(size_t source, const char* color) { return {color, source == 1}; }

std::string legend(const Sources& src, size_t i, const std::string& what) {
  return src.size() > 1 ? src[i]->name + " " + what : what;
}

// The networks that `pick` selects, drawn at x, and their mean. No interval bar:
// these groups pool different target tasks, whose spread is the tasks' and not
// the uncertainty of an effect; the paired figures (paired_effects, relative)
// draw the intervals of differences against each network's own base.
template <class Pred>
void collect(const Dataset& ds, Statistic s, int n, double x, Pred pick, std::vector<NetPoint>& nets,
             std::vector<MeanPoint>& means) {
  std::vector<double> values;
  for (const auto& [id, run] : ds.runs) {
    if (!pick(run.cell)) continue;
    values.push_back(curve_statistic(run.curve, s));
    nets.push_back({id, n, x, values.back()});
  }
  Summary m = summarize(values);
  if (!m.empty()) means.push_back({n, x, m, Interval{}});
}

bool base_b(const Cell& c) { return in_group(c, Group::BaseB, 0); }

// Figure 2, top panel: every network of each group, and the group means with
// their intervals. With `with_nets` false, the bottom panel: means only.
void add_transfer_groups(FigureSpec& f, const Sources& src, Statistic s, bool with_nets) {
  for (size_t i = 0; i < src.size(); ++i) {
    std::vector<NetPoint> nets;
    std::vector<MeanPoint> means;
    collect(*src[i], s, 0, 0, base_b, nets, means);
    SeriesStyle look = style(i, group_color(Group::BaseB));
    look.draw_nets = with_nets;
    add_series(f, src[i]->name, "baseB", legend(src, i, "baseB"), look, nets, means);
    for (Group g : kTransferGroups) {
      nets.clear();
      means.clear();
      for (int n = 1; n <= src[i]->layers; ++n)
        collect(*src[i], s, n, n + offset(g), [g, n](const Cell& c) { return in_group(c, g, n); }, nets, means);
      look.color = group_color(g);
      add_series(f, src[i]->name, label(g), legend(src, i, label(g)), look, nets, means);
    }
  }
}

FigureSpec transfer_figure(const Sources& src, Statistic s) {
  FigureSpec f = make_spec("transfer", "Every network: base, selffer (BnB) and transfer (AnB), + = fine-tuned (" + per_network(src, s) + ")",
               "layer n at which the network is chopped and retrained", kAccuracy);
  set_n_axis(f, src, 0);
  add_transfer_groups(f, src, s, true);
  return f;
}

}  // namespace

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// The paper's four numbered effects, placed on the means of the first data
// set where each is largest: 1 the selffer's drop below the base (fragile
// co-adaptation), 2 fine-tuning recovering it, 3 the transfer's drop below the
// selffer (specificity), 4 transfer plus fine-tuning above the base. Each
// caption says what the data show there (effects.h): "seen (...)", "not seen
// here (...)" or "too few to test", never the paper's finding as a given.
std::vector<std::string> effect_labels(const Dataset& ds, Statistic s) {
  auto mean = [&](Group g, int n) {
    return summarize(ds.values(s, [g, n](const Cell& c) { return in_group(c, g, n); })).mean;
  };
  const double base = mean(Group::BaseB, 0);
  auto largest = [&ds](auto gap) {  // the n with the largest gap; 0 when none is defined
    int at = 0;
    double most = -INFINITY;
    for (int n = 1; n <= ds.layers; ++n)
      if (double v = gap(n); !std::isnan(v) && v > most) most = v, at = n;
    return at;
  };
  const Effect effect[] = {Effect::BnBvsBase, Effect::BnBvsBase, Effect::BnBPlusvsBnB, Effect::AnBvsBnB,
                           Effect::AnBPlusvsBase};
  std::vector<std::string> out;
  // Beside the mean, left and below or right and above, clear of its interval bar.
  auto mark = [&](int number, Group g, int n, bool below) {
    double y = n ? mean(g, n) : NAN;
    if (std::isnan(y)) return;
    std::string k = std::to_string(number);
    out.push_back("set label " + k + " '" + k + "' at " + num(n + offset(g)) + "," + num(y) + " center offset " +
                  (below ? "-1.2,-0.9" : "1.2,0.9") + " font ',14' textcolor rgb '" + group_color(g) + "' front");
    const Effect e = effect[number];
    const std::string caption = std::string(label(e)) + " at n = " + std::to_string(n) + ": " +
                                verdict(effect_by_n(ds, s, e, nullptr)[n - 1]);
    out.push_back("set label " + std::to_string(10 + number) + " '" + k + "  " + caption +
                  "' at graph 0.02, graph " + num(0.04 + 0.06 * (4 - number)) + " left font ',9' front");
  };
  int n1 = largest([&](int n) { return base - mean(Group::BnB, n); });
  mark(1, Group::BnB, n1, true);
  mark(2, Group::BnBPlus, n1, false);
  mark(3, Group::AnB, largest([&](int n) { return mean(Group::BnB, n) - mean(Group::AnB, n); }), true);
  mark(4, Group::AnBPlus, largest([&](int n) { return mean(Group::AnBPlus, n) - base; }), false);
  return out;
}

// Figure 2, bottom panel.
FigureSpec transfer_effects_figure(const Sources& src, Statistic s) {
  FigureSpec f = make_spec("transfer_effects", "Group means and the four effects, tested by task (" + per_network(src, s) + ")",
               "layer n at which the network is chopped and retrained", kAccuracy);
  set_n_axis(f, src, 0);
  if (!src.empty())
    for (auto& line : effect_labels(*src[0], s)) f.settings.push_back(line);
  add_transfer_groups(f, src, s, false);
  return f;
}

// A series of figure 3 top: its base at n = 0 and its networks at n = 1..the last unit.
// Left out when it has no network beyond the base: the base alone is not the series.
template <class BasePick, class NPick>
void add_layer_series(FigureSpec& f, const Sources& src, size_t i, Statistic s, const std::string& key,
                      const char* color, BasePick base_pick, NPick n_pick) {
  std::vector<NetPoint> nets;
  std::vector<MeanPoint> means;
  for (int n = 1; n <= src[i]->layers; ++n) collect(*src[i], s, n, n, [&](const Cell& c) { return n_pick(c, n); }, nets, means);
  if (nets.empty()) return;
  std::vector<NetPoint> all;
  std::vector<MeanPoint> all_means;
  collect(*src[i], s, 0, 0, base_pick, all, all_means);
  all.insert(all.end(), nets.begin(), nets.end());
  all_means.insert(all_means.end(), means.begin(), means.end());
  add_series(f, src[i]->name, key, legend(src, i, key), style(i, color), all, all_means);
}

FigureSpec dissimilar_figure(const Sources& src, Statistic s) {
  FigureSpec f = make_spec("dissimilar", "Dissimilar splits and random filters (" + per_network(src, s) + ")", "layer n", kAccuracy);
  set_n_axis(f, src, 0);
  for (size_t i = 0; i < src.size(); ++i) {
    add_layer_series(f, src, i, s, "random A/B: AnB", group_color(Group::AnB), base_b,
                     [](const Cell& c, int n) { return in_group(c, Group::AnB, n); });
    const char* greens[] = {"#1a7f1a", "#7fcf5f"};
    for (const auto& split : dissimilar_splits(*src[i]))
      for (char t : {'A', 'B'})
        add_layer_series(
            f, src, i, s, split + " to " + half_label(split, t), greens[t - 'A'],
            [&](const Cell& c) { return is_split_base(c, split, t); },
            [&](const Cell& c, int n) { return is_split_anb(c, split, t, n); });
    add_layer_series(f, src, i, s, "random filters", kRandomFilterColor, is_all_base, is_all_random);
    // The control on the random halves (the complete and fashion-mnist grids),
    // from the bases of the very halves it was run on, not every half's.
    std::set<std::tuple<std::string, char, int>> halves;
    for (const auto& [id, run] : src[i]->runs)
      if (run.cell.kind == CellKind::Random && run.cell.is_random_split())
        halves.insert({run.cell.split, run.cell.target, run.cell.seed});
    add_layer_series(
        f, src, i, s, "random filters (halves)", "#b06000",
        [&](const Cell& c) { return is_split_base(c, c.split, c.target) && halves.count({c.split, c.target, c.seed}); },
        is_half_random);
  }
  return f;
}

// Figure 3 bottom: each network minus the base of its own target.
FigureSpec relative_figure(const Sources& src, Statistic s) {
  FigureSpec f = make_spec("relative", "Transfer relative to the target's base (" + per_network(src, s) + ")", "layer n",
               "top-1 accuracy minus the base's");
  set_n_axis(f, src, 1);
  for (size_t i = 0; i < src.size(); ++i) {
    for (const auto& series : relative_series(*src[i])) {
      std::vector<NetPoint> nets;
      std::vector<MeanPoint> means;
      for (int n = 1; n <= src[i]->layers; ++n) {
        std::vector<double> values;
        for (const auto& [id, v] : relative_values(*src[i], s, series, n, nullptr)) {
          nets.push_back({id, n, double(n), v});
          values.push_back(v);
        }
        // A mean difference's interval is the paired one, from 3 units on.
        const PairedTest t = paired_test(values);
        if (Summary m = summarize(values); !m.empty())
          means.push_back({n, double(n), m, t.tested() ? t.interval : Interval{}});
      }
      const char* color = series == "random" ? group_color(Group::AnB) : series == "random filters" ? kRandomFilterColor : "#1a7f1a";
      add_series(f, src[i]->name, series, legend(src, i, series == "random" ? "random A/B" : series), style(i, color),
                 nets, means);
    }
  }
  return f;
}

// The paper's four groups as paired effects: every unit (target task) a dot,
// its network minus its own base at each n, and the mean over units with its
// paired 95% interval where there are 3 units or more. A zero line: above it
// the group beats its own base.
FigureSpec paired_effects_figure(const Sources& src, Statistic s) {
  FigureSpec f = make_spec("paired_effects", "Each network minus its own task's base (" + per_network(src, s) + ")",
                           "layer n at which the network is chopped and retrained", "top-1 minus its own base's");
  set_n_axis(f, src, 1);
  f.settings.insert(f.settings.end(), {"set xzeroaxis lt -1 lw 1",
                "set label 20 'dots: target tasks; bars: paired 95% intervals, from 3 tasks on' at graph 0.02, "
                "graph 0.04 left font ',9' front"});
  const std::pair<Effect, Group> panels[] = {{Effect::BnBvsBase, Group::BnB},
                                             {Effect::BnBPlusvsBase, Group::BnBPlus},
                                             {Effect::AnBvsBase, Group::AnB},
                                             {Effect::AnBPlusvsBase, Group::AnBPlus}};
  for (size_t i = 0; i < src.size(); ++i)
    for (const auto& [effect, group] : panels) {
      std::vector<NetPoint> units;
      std::vector<MeanPoint> means;
      for (const EffectAtN& at : effect_by_n(*src[i], s, effect, nullptr)) {
        if (!at.refused.empty() || at.differences.empty()) continue;
        const double x = at.n + offset(group);
        for (size_t u = 0; u < at.differences.size(); ++u) units.push_back({at.units[u], at.n, x, at.differences[u]});
        means.push_back({at.n, x, summarize(at.differences), at.test.tested() ? at.test.interval : Interval{}});
      }
      add_series(f, src[i]->name, label(effect), legend(src, i, label(effect)), style(i, group_color(group)), units,
                 means);
    }
  return f;
}

FigureSpec reduced_figure(const Sources& src, Statistic s) {
  FigureSpec f = make_spec("reduced", "Reduced volume: images per class (" + per_network(src, s) + ")", "training images per class K",
               kAccuracy);
  f.settings = {"set logscale x", "set xrange [0.7:2000]"};
  for (size_t i = 0; i < src.size(); ++i) {
    std::set<int> ks;
    for (const auto& [id, run] : src[i]->runs)
      if (is_reduced_base(run.cell)) ks.insert(run.cell.reduced_k);
    std::vector<NetPoint> nets;
    std::vector<MeanPoint> means;
    for (int k : ks) collect(*src[i], s, k, k, [k](const Cell& c) { return is_reduced(c, k); }, nets, means);
    add_series(f, src[i]->name, "all classes", legend(src, i, "all classes"), style(i, "#303090"), nets, means);
  }
  return f;
}

// Whether some source's grid was meant to give figure `name` networks: a
// figure of a kind the grids never had is left out without a warning.
bool expected(const Sources& src, const std::string& name) {
  auto planned = [&](auto pick) {
    for (const auto* ds : src)
      if (ds->plans(pick)) return true;
    return false;
  };
  if (name == "reduced") return planned(is_reduced_base);
  if (name == "dissimilar") return planned([](const Cell& c) { return is_dissimilar_split(c.split); });
  return true;
}

}  // namespace

std::vector<fs::path> write_figures(const Sources& src, const FigureOptions& opt, Diagnostics& diag) {
  const Statistic s = opt.statistic;
  std::vector<FigureSpec> figs = {transfer_figure(src, s), transfer_effects_figure(src, s),
                                  paired_effects_figure(src, s), dissimilar_figure(src, s),
                                  relative_figure(src, s), reduced_figure(src, s)};
  for (auto& g : generality_figures(src, s)) figs.push_back(std::move(g));
  std::vector<fs::path> written;
  for (const auto& f : figs) {
    if (f.clauses.empty()) {
      if (expected(src, f.name)) diag.warn("", 0, "figure '" + f.name + "' has no networks to draw: not written");
      continue;
    }
    render_figure(f, opt.out_dir, opt.gnuplot, written, diag);
  }
  return written;
}

}  // namespace xfer
