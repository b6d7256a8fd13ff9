// batch_norm_table.cpp: the grid's bn axis read as a paired comparison: each
// cell whose copied (or random) stages' batch normalisation was trained,
// against the same cell with it frozen. The two share their base, split,
// halves, n and mode, so the difference is the batch normalisation's alone.
#include <cstdio>

#include "analysis/groups.h"
#include "analysis/paired.h"
#include "analysis/tables.h"

namespace xfer {

namespace {

const Dataset* with_bn(const Sources& src, const std::string& bn) {
  for (const Dataset* d : src)
    if (d->bn == bn) return d;
  return nullptr;
}

// Each trained-bn cell that `pick` selects minus its frozen-bn twin, by cell id.
template <class Pick>
std::vector<std::pair<std::string, double>> twin_differences(const Dataset& train, const Dataset& frozen, Statistic s,
                                                             Pick pick) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [id, run] : train.runs) {
    if (run.cell.bn != "train" || !pick(run.cell)) continue;
    Cell twin = run.cell;
    twin.bn = "frozen";
    const auto other = frozen.runs.find(twin.id());
    if (other == frozen.runs.end()) continue;
    out.emplace_back(id, curve_statistic(run.curve, s) - curve_statistic(other->second.curve, s));
  }
  return out;
}

std::string bn_verdict(const PairedTest& t, double holm) {
  char buf[160];
  if (t.n == 0) return "no pairs";
  if (!t.tested()) {
    std::snprintf(buf, sizeof buf, "too few to test (%d pair%s, mean %+.4f)", t.n, t.n == 1 ? "" : "s", t.mean);
    return buf;
  }
  const char* word = holm >= 0.05 ? "no difference seen here" : t.mean > 0 ? "trained higher" : "frozen higher";
  std::snprintf(buf, sizeof buf, "%s (%+.4f, 95%% CI %+.4f..%+.4f, Holm p %.3g, %d pairs)", word, t.mean,
                t.interval.low, t.interval.high, holm, t.n);
  return buf;
}

}  // namespace

Table batch_norm_table(const Sources& src, Statistic s, Diagnostics&) {
  Table t{"bn",
          std::string("The copied stages' batch normalisation trained minus frozen, top-1 (") + to_string(s) +
              "): each cell against the same cell with the other bn",
          {"group", "n", "pairs", "mean", "95% CI low", "95% CI high", "p", "Holm p", "verdict"},
          {},
          {}};
  const Dataset *train = with_bn(src, "train"), *frozen = with_bn(src, "frozen");
  if (!train || !frozen) return t;
  const int layers = std::min(train->layers, frozen->layers);
  auto add_series = [&](const std::string& name, auto pick) {
    std::vector<PairedTest> tests;
    std::vector<double> p;
    for (int n = 1; n <= layers; ++n) {
      std::vector<double> d;
      for (const auto& [id, v] : twin_differences(*train, *frozen, s, [&](const Cell& c) { return pick(c, n); }))
        d.push_back(v);
      tests.push_back(paired_test(d));
      p.push_back(tests.back().p);
    }
    const std::vector<double> holm = holm_adjust(p);
    for (int n = 1; n <= layers; ++n) {
      const PairedTest& pt = tests[size_t(n) - 1];
      if (pt.n == 0) continue;
      t.rows.push_back({Entry::of_text(name), Entry::of_text(layer_label({train}, n)), Entry::count(pt.n),
                        Entry::delta(pt.mean), pt.tested() ? Entry::delta(pt.interval.low) : Entry::missing(),
                        pt.tested() ? Entry::delta(pt.interval.high) : Entry::missing(), Entry::probability(pt.p),
                        Entry::probability(holm[size_t(n) - 1]), Entry::of_text(bn_verdict(pt, holm[size_t(n) - 1]))});
    }
  };
  for (Group g : kTransferGroups) add_series(label(g), [g](const Cell& c, int n) { return in_group(c, g, n); });
  add_series("random filters", [](const Cell& c, int n) { return c.kind == CellKind::Random && c.n == n; });
  t.notes.push_back(
      "A pair is one cell trained twice, its copied (or, for random filters, random) stages' batch normalisation "
      "trained (batch statistics) and frozen (running statistics and affine fixed; random filters' recalibrated on "
      "100 training batches first): the same base, split, halves, "
      "n and mode, so the pair's difference is the batch normalisation's alone; each pair is its own target task "
      "and direction. p: the paired t-test of the mean difference against 0; Holm p over the n of the group.");
  return t;
}

}  // namespace xfer
