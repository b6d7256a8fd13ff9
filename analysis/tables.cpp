// tables.cpp: building the paper's tables from data sets.
#include "analysis/tables.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "analysis/effects.h"
#include "analysis/generality.h"
#include "analysis/groups.h"
#include "analysis/inference.h"

namespace xfer {

namespace {

std::string prefix(const Sources& src, size_t i, const std::string& h) {
  return src.size() > 1 ? src[i]->name + " " + h : h;
}

// mean, std, count per source; then, for two sources, first minus second;
// then each source's 95% confidence interval of the mean. The intervals come
// last so that the columns before them keep their places for readers that
// index them.
void add_summary_headers(Table& t, const Sources& src) {
  for (size_t i = 0; i < src.size(); ++i)
    for (const char* h : {"mean", "std", "count"}) t.headers.push_back(prefix(src, i, h));
  if (src.size() == 2) t.headers.push_back(src[0]->name + " − " + src[1]->name);
  for (size_t i = 0; i < src.size(); ++i)
    for (const char* h : {"95% CI low", "95% CI high"}) t.headers.push_back(prefix(src, i, h));
}

// The interval a group's values get: an accuracy's on the logit scale, a
// difference's the plain t interval; none below kMinUnitsToTest values.
enum class Scale { Accuracy, Difference };
Interval group_interval(const std::vector<double>& v, Scale scale) {
  if (scale == Scale::Accuracy) return group_accuracy_interval(v);
  const PairedTest t = paired_test(v);
  return t.status == PairedStatus::too_few_units ? Interval{} : t.interval;
}

// Each source's values of a group: mean, std, count, (first minus second),
// then each source's interval, as add_summary_headers has them.
void add_summary_entries(std::vector<Entry>& row, const std::vector<std::vector<double>>& values,
                         Scale scale = Scale::Accuracy) {
  std::vector<Summary> sums;
  for (const auto& v : values) sums.push_back(summarize(v));
  for (const auto& s : sums) {
    row.push_back(Entry::value(s.mean));
    row.push_back(Entry::value(s.std));
    row.push_back(Entry::count(s.count));
  }
  if (sums.size() == 2) row.push_back(Entry::delta(sums[0].mean - sums[1].mean));
  for (const auto& v : values) {
    const Interval ci = group_interval(v, scale);
    row.push_back(Entry::value(ci.low));
    row.push_back(Entry::value(ci.high));
  }
}

const char* const kAccuracyIntervalNote =
    "95% CI of a group's accuracy: Student's t interval (count − 1 degrees of freedom) of the networks' logits, "
    "mapped back, so it never leaves [0, 1]; — where a group has fewer than 3 networks: too few to give one (a "
    "group of two is often two different tasks). A group pools networks of different target tasks; the effects "
    "table compares each network with its own task's base.";

const char* const kIntervalNote =
    "95% CI: mean ± t × std / sqrt(count), t the 97.5% point of Student's t with count − 1 degrees of "
    "freedom; — where a group has fewer than 3 networks: too few to give one.";

// The n column: a count where n counts layers (CaffeNet), "3 (layer2)" where
// the networks' units are stages.
Entry n_entry(const Sources& src, int n) {
  const std::string text = layer_label(src, n);
  return text == std::to_string(n) ? Entry::count(n) : Entry::of_text(text);
}

// "seven" (CaffeNet's units), "five", "four": as the notes have always said it.
std::string number_word(int n) {
  static const char* const words[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
  return n >= 0 && n < 10 ? words[n] : std::to_string(n);
}

// The lower ends of Table 1's ranges lo..layers: the paper's 1, 3 and 5 of
// CaffeNet's 7; the lower half and top unit of a network with fewer.
std::vector<int> boost_ranges(int layers) {
  std::vector<int> out;
  for (int lo : {1, 3, 5})
    if (lo <= layers) out.push_back(lo);
  return out;
}

// Whether some source's grid has a cell satisfying `pick`.
template <class Pred>
bool any_plans(const Sources& src, Pred pick) {
  for (const auto* ds : src)
    if (ds->plans(pick)) return true;
  return false;
}

// The group summary in every source; an empty group its grid has is named in
// the warnings (one its grid never had is absent, not missing).
template <class Pred>
std::vector<std::vector<double>> group_values(const Sources& src, Statistic s, Diagnostics& diag,
                                              const std::string& what, Pred pick) {
  std::vector<std::vector<double>> out;
  for (const auto* ds : src) {
    out.push_back(ds->values(s, pick));
    if (out.back().empty() && ds->plans(pick))
      diag.warn("", 0, ds->name + ": no networks for " + what + " (left empty)");
  }
  return out;
}

// The networks of group g with n in n_lo..n_hi, pooled as the paper pooled them.
std::vector<double> pooled_values(const Dataset& ds, Statistic s, Group g, int n_lo, int n_hi) {
  return ds.values(s, [&](const Cell& c) {
    for (int n = n_lo; n <= n_hi; ++n)
      if (in_group(c, g, n)) return true;
    return false;
  });
}

Summary group_summary(const Dataset& ds, Statistic s, Group g, int n_lo, int n_hi) {
  return summarize(pooled_values(ds, s, g, n_lo, n_hi));
}

std::string describe(const Summary& s) {
  if (s.empty()) return "no networks";
  char buf[96];
  if (s.count < 2) std::snprintf(buf, sizeof buf, "%.4f (count 1)", s.mean);
  else std::snprintf(buf, sizeof buf, "%.4f (std %.4f, count %d)", s.mean, s.std, s.count);
  return buf;
}

}  // namespace

Table main_table(const Sources& src, Statistic s, Diagnostics& diag) {
  Table t{"main", std::string("Figure 2 as a table: top-1 (") + to_string(s) + ") by layers copied n", {"group", "n"}, {}, {}};
  add_summary_headers(t, src);
  auto add = [&](Group g, int n) {
    std::vector<Entry> row{Entry::of_text(label(g)), n_entry(src, n)};
    add_summary_entries(row, group_values(src, s, diag, std::string(label(g)) + (g == Group::BaseB ? "" : " n=" + std::to_string(n)),
                                           [&](const Cell& c) { return in_group(c, g, n); }));
    t.rows.push_back(row);
  };
  add(Group::BaseB, 0);
  for (Group g : kTransferGroups)
    for (int n = 1; n <= max_layers(src); ++n) add(g, n);
  t.notes.push_back("baseB (n = 0) pools the bases of every random split; std is the sample standard deviation, — a group with no networks.");
  t.notes.push_back(kAccuracyIntervalNote);
  for (const auto* ds : src)
    if (!ds->bn.empty())
      t.notes.push_back(ds->name + ": " + ds->network + ", n counts its stages; the copied (and random) stages' batch "
                        "normalisation " + (ds->bn == "frozen" ? "frozen (running statistics and affine fixed)"
                                                               : "trained (batch statistics)") +
                        ". The bases are the same networks in each bn data set; the two bn values are never pooled.");
  for (const auto* ds : src) {
    if (ds->unfinished.empty()) continue;
    std::string list;
    for (const auto& id : ds->unfinished) list += (list.empty() ? "" : ", ") + id;
    t.notes.push_back(ds->name + ": " + std::to_string(ds->unfinished.size()) + " unfinished cell(s), not used: " + list);
  }
  return t;
}

namespace {

// Each unit's boost of AnB+ over `reference` (its own base, or BnB+ at the same
// n), averaged over the n in lo..7 where the unit has both: one number a target
// task, so the test's sample is tasks, not networks that share a base.
std::vector<double> unit_boosts(const Dataset& ds, Statistic s, int lo, Group reference) {
  std::map<UnitKey, std::vector<double>> per_unit;
  for (int n = lo; n <= ds.layers; ++n) {
    const auto ref = unit_values(ds, s, reference, n);
    for (const auto& [unit, v] : unit_values(ds, s, Group::AnBPlus, n))
      if (auto r = ref.find(unit); r != ref.end()) per_unit[unit].push_back(v - r->second);
  }
  std::vector<double> out;
  for (const auto& [unit, d] : per_unit) out.push_back(summarize(d).mean);
  return out;
}

// One source's part of a Table 1 row: the boosts in `row`, the statistics of
// AnB+ and the paired tests over units in `tail` (which goes after every source's boosts).
void add_boost_entries(const Dataset& ds, Statistic s, int lo, std::vector<Entry>& row,
                       std::vector<Entry>& tail, Diagnostics& diag) {
  Summary anbp = group_summary(ds, s, Group::AnBPlus, lo, ds.layers);
  Summary base = group_summary(ds, s, Group::BaseB, 0, 0);
  Summary bnbp = group_summary(ds, s, Group::BnBPlus, lo, ds.layers);
  if (anbp.empty() && ds.plans([](const Cell& c) { return c.kind == CellKind::Transfer; }))
    diag.warn("", 0, ds.name + ": no AnB+ networks for layers " + std::to_string(lo) + "-" + std::to_string(ds.layers));
  row.push_back(Entry::value(anbp.mean));
  row.push_back(Entry::count(anbp.count));
  row.push_back(Entry::delta(anbp.mean - base.mean));
  row.push_back(Entry::delta(anbp.mean - bnbp.mean));
  const Interval ci = group_accuracy_interval(pooled_values(ds, s, Group::AnBPlus, lo, ds.layers));
  tail.push_back(Entry::value(anbp.std));
  tail.push_back(Entry::value(ci.low));
  tail.push_back(Entry::value(ci.high));
  const std::vector<double> over_base = unit_boosts(ds, s, lo, Group::BaseB);
  const std::vector<double> over_bnbp = unit_boosts(ds, s, lo, Group::BnBPlus);
  const PairedTest tb = paired_test(over_base), tp = paired_test(over_bnbp);
  tail.push_back(Entry::probability(tb.p));
  tail.push_back(Entry::probability(tp.p));
  tail.push_back(Entry::count(tb.n));
  tail.push_back(Entry::delta(tb.mean));
  tail.push_back(Entry::count(tp.n));
  tail.push_back(Entry::delta(tp.mean));
}

// What the boosts were measured against, so a reader can judge the p-values.
std::string compared_groups_note(const Dataset& ds, Statistic s) {
  std::string note = ds.name + ": baseB " + describe(group_summary(ds, s, Group::BaseB, 0, 0));
  for (int lo : boost_ranges(ds.layers))
    note += "; BnB+ " + std::to_string(lo) + "-" + std::to_string(ds.layers) + " " + describe(group_summary(ds, s, Group::BnBPlus, lo, ds.layers));
  return note + ".";
}

}  // namespace

Table boost_table(const Sources& src, Statistic s, Diagnostics& diag) {
  Table t{"table1", std::string("Boost of AnB+ (") + to_string(s) + ") over baseB and over BnB+, the paper's Table 1", {"layers"}, {}, {}};
  for (size_t i = 0; i < src.size(); ++i)
    for (const char* h : {"AnB+ mean", "AnB+ count", "over baseB", "over BnB+"}) t.headers.push_back(prefix(src, i, h));
  for (size_t i = 0; i < src.size(); ++i)
    for (const char* h : {"AnB+ std", "AnB+ 95% CI low", "AnB+ 95% CI high", "p over baseB", "p over BnB+",
                          "units over baseB", "paired over baseB", "units over BnB+", "paired over BnB+"})
      t.headers.push_back(prefix(src, i, h));
  for (int lo : boost_ranges(max_layers(src))) {
    std::vector<Entry> row{Entry::of_text(std::to_string(lo) + "-" + std::to_string(max_layers(src)))}, tail;
    for (const auto* ds : src) add_boost_entries(*ds, s, lo, row, tail, diag);
    row.insert(row.end(), tail.begin(), tail.end());
    t.rows.push_back(row);
  }
  t.notes.push_back("Pooled over all networks with n in the range, as the paper did.");
  t.notes.push_back(kAccuracyIntervalNote);
  t.notes.push_back(
      "p: two-sided paired t-test over units (target tasks: a random split's target half under one seed): each "
      "unit's AnB+ minus its own base (over baseB), or minus its BnB+ at the same n (over BnB+), averaged over the "
      "n of the range where it has both (paired over ...: their mean); — below 3 units: too few to test. The "
      "boosts before them are the paper's pooled ones (AnB+ mean minus the pooled group mean).");
  for (const auto* ds : src) t.notes.push_back(compared_groups_note(*ds, s));
  return t;
}

Table dissimilar_table(const Sources& src, Statistic s, Diagnostics& diag) {
  Table t{"dissimilar", std::string("Dissimilar splits (natural / man-made): top-1 (") + to_string(s) + ") of each target's base and the transfers into it",
          {"split", "target", "group", "n"}, {}, {}};
  add_summary_headers(t, src);
  std::set<std::string> splits;
  for (const auto* ds : src) splits.merge(dissimilar_splits(*ds));
  if (splits.empty()) {
    if (any_plans(src, [](const Cell& c) { return is_dissimilar_split(c.split); }))
      diag.warn("", 0, "no dissimilar split in any input: the natman rows are left empty");
    splits.insert("natman");
  }
  auto any = [&](auto pick) {
    for (const auto* ds : src)
      for (const auto& [id, run] : ds->runs)
        if (pick(run.cell)) return true;
    return false;
  };
  for (const auto& split : splits) {
    for (char target : {'A', 'B'}) {
      char other = target == 'A' ? 'B' : 'A';
      std::string who = split + " " + half_label(split, target);
      auto add = [&](const std::string& group, int n, auto pick, bool always) {
        if (!always && !any(pick)) return;
        std::vector<Entry> row{Entry::of_text(split), Entry::of_text(half_label(split, target)), Entry::of_text(group),
                               n == 0 ? Entry::count(0) : n_entry(src, n)};
        add_summary_entries(row, group_values(src, s, diag, who + " " + group + " n=" + std::to_string(n), pick));
        t.rows.push_back(row);
      };
      add("base", 0, [&](const Cell& c) { return is_split_base(c, split, target); }, true);
      for (auto mode : {TransferMode::Frozen, TransferMode::Finetune})
        for (char source : {other, target}) {
          std::string group = std::string(source == target ? "BnB" : "AnB") + (mode == TransferMode::Finetune ? "+" : "");
          bool always = mode == TransferMode::Frozen && source != target;
          for (int n = 1; n <= max_layers(src); ++n)
            add(group, n, [&](const Cell& c) { return is_split_transfer(c, split, source, target, n, mode); }, always);
        }
    }
  }
  t.notes.push_back("For natman, A is natural and B man-made; AnB rows are transfers into the target named.");
  t.notes.push_back(kAccuracyIntervalNote);
  return t;
}

Table random_table(const Sources& src, Statistic s, Diagnostics& diag) {
  Table t{"random", std::string("Random filters: first n layers left random and frozen, top-1 (") + to_string(s) + ")", {"split", "group", "n"}, {}, {}};
  add_summary_headers(t, src);
  auto add = [&](const std::string& split, const std::string& group, int n, auto pick) {
    std::vector<Entry> row{Entry::of_text(split), Entry::of_text(group), n == 0 ? Entry::count(0) : n_entry(src, n)};
    add_summary_entries(row, group_values(src, s, diag, split + " " + group + " n=" + std::to_string(n), pick));
    t.rows.push_back(row);
  };
  add("all", "base", 0, [](const Cell& c) { return is_all_base(c); });
  for (int n = 1; n <= max_layers(src); ++n) add("all", "random", n, [n](const Cell& c) { return is_all_random(c, n); });
  // The halves the random filters ran on, and so the bases they are read against:
  // those halves' own, not every half's pooled (the halves differ in difficulty).
  std::set<UnitKey> halves;
  for (const auto* ds : src)
    for (const auto& [id, run] : ds->runs)
      if (run.cell.kind == CellKind::Random && run.cell.is_random_split())
        halves.insert({run.cell.split, run.cell.target, run.cell.seed});
  if (!halves.empty()) {
    add("half", "base", 0, [&](const Cell& c) {
      return is_split_base(c, c.split, c.target) && halves.count({c.split, c.target, c.seed});
    });
    for (int n = 1; n <= max_layers(src); ++n) add("half", "random", n, [n](const Cell& c) { return is_half_random(c, n); });
  }
  t.notes.push_back(kAccuracyIntervalNote);
  return t;
}

Table relative_table(const Sources& src, Statistic s, Diagnostics& diag) {
  Table t{"relative", std::string("Relative panel: each net minus the base of its target, top-1 (") + to_string(s) + ")", {"series", "n"}, {}, {}};
  add_summary_headers(t, src);
  std::vector<std::string> series;  // in the order of the first source that has each
  for (const auto* ds : src)
    for (const auto& name : relative_series(*ds))
      if (std::find(series.begin(), series.end(), name) == series.end()) series.push_back(name);
  for (const auto& name : series) {
    for (int n = 1; n <= max_layers(src); ++n) {
      std::vector<Entry> row{Entry::of_text(name), n_entry(src, n)};
      std::vector<std::vector<double>> values;
      for (const auto* ds : src) {
        values.emplace_back();
        for (const auto& [id, v] : relative_values(*ds, s, name, n, &diag)) values.back().push_back(v);
        // A missing point the grid planned is worth a word; one it never had (n = 2 of a
        // series run at n = 1, 3, 5, 7) is absent, not missing.
        const bool planned = ds->plans([&](const Cell& c) { return c.n == n && in_relative_series(c, name); });
        if (values.back().empty() && planned)
          diag.warn("", 0, ds->name + ": no networks for relative " + name + " n=" + std::to_string(n) + " (left empty)");
      }
      add_summary_entries(row, values, Scale::Difference);
      t.rows.push_back(row);
    }
  }
  t.notes.push_back("random: AnB on the random splits; natman (dissim): AnB on that split; random filters: first n layers random, minus the base of the same classes.");
  t.notes.push_back(kIntervalNote);
  return t;
}

std::vector<std::string> relative_series(const Dataset& ds) {
  std::vector<std::string> out{"random"};
  for (const auto& sp : dissimilar_splits(ds)) out.push_back(sp);
  for (const auto& [id, run] : ds.runs)
    if (run.cell.kind == CellKind::Random) {
      out.push_back("random filters");
      break;
    }
  return out;
}

std::vector<std::pair<std::string, double>> relative_values(const Dataset& ds, Statistic s, const std::string& series,
                                                            int n, Diagnostics* diag) {
  std::vector<std::pair<std::string, double>> d;
  for (const auto& [id, run] : ds.runs) {
    const Cell& c = run.cell;
    if (c.n != n) continue;
    if (!in_relative_series(c, series)) continue;
    Cell b;  // the base trained on the same classes
    b.split = c.split;
    b.target = c.target;
    b.seed = c.seed;
    auto base = ds.runs.find(b.id());
    if (base == ds.runs.end()) {
      if (diag) diag->warn("", 0, ds.name + ": " + id + " has no base " + b.id() + ": left out of the relative panel");
      continue;
    }
    d.push_back({id, curve_statistic(run.curve, s) - curve_statistic(base->second.curve, s)});
  }
  return d;
}

Table reduced_table(const Sources& src, Statistic s, Diagnostics& diag) {
  Table t{"reduced", std::string("Reduced volume: images per class K against top-1 (") + to_string(s) + ")", {"K"}, {}, {}};
  add_summary_headers(t, src);
  std::set<int> ks;
  for (const auto* ds : src)
    for (const auto& [id, run] : ds->runs)
      if (is_reduced_base(run.cell)) ks.insert(run.cell.reduced_k);
  if (ks.empty() && any_plans(src, is_reduced_base))
    diag.warn("", 0, "no reduced-volume networks in any input: table left empty");
  for (int k : ks) {
    std::vector<Entry> row{Entry::count(k)};
    add_summary_entries(row, group_values(src, s, diag, "reduced K=" + std::to_string(k), [k](const Cell& c) { return is_reduced(c, k); }));
    t.rows.push_back(row);
  }
  t.notes.push_back(kAccuracyIntervalNote);
  return t;
}

Table decomposition_table(const Sources& src, Statistic s, Diagnostics& diag) {
  Table t{"decomposition", std::string("Drop from baseB by cause, top-1 (") + to_string(s) + "): fragile co-adaptation (baseB − BnB) and specificity (BnB − AnB)", {"n"}, {}, {}};
  for (size_t i = 0; i < src.size(); ++i)
    for (const char* h : {"co-adaptation", "specificity", "total"}) t.headers.push_back(prefix(src, i, h));
  for (size_t i = 0; i < src.size(); ++i)
    for (const char* h : {"co-adaptation p", "specificity p", "units"}) t.headers.push_back(prefix(src, i, h));
  // The paired tests of the effects table, baseB − BnB and BnB − AnB per unit, once per source.
  std::vector<std::vector<EffectAtN>> coadaptation, specificity;
  for (const auto* ds : src) {
    coadaptation.push_back(effect_by_n(*ds, s, Effect::BnBvsBase, nullptr));
    specificity.push_back(effect_by_n(*ds, s, Effect::AnBvsBnB, nullptr));
  }
  for (int n = 1; n <= max_layers(src); ++n) {
    std::vector<Entry> row{n_entry(src, n)}, tail;
    for (size_t i = 0; i < src.size(); ++i) {
      const Dataset* ds = src[i];
      Summary base = group_summary(*ds, s, Group::BaseB, 0, 0);
      Summary bnb = group_summary(*ds, s, Group::BnB, n, n);
      Summary anb = group_summary(*ds, s, Group::AnB, n, n);
      row.push_back(Entry::delta(base.mean - bnb.mean));
      row.push_back(Entry::delta(bnb.mean - anb.mean));
      row.push_back(Entry::delta(base.mean - anb.mean));
      const EffectAtN none{};
      const EffectAtN& co = size_t(n) <= coadaptation[i].size() ? coadaptation[i][n - 1] : none;
      const EffectAtN& spec = size_t(n) <= specificity[i].size() ? specificity[i][n - 1] : none;
      tail.push_back(Entry::probability(co.test.p));
      tail.push_back(Entry::probability(spec.test.p));
      tail.push_back(Entry::count(std::min(co.test.n, spec.test.n)));
    }
    row.insert(row.end(), tail.begin(), tail.end());
    t.rows.push_back(row);
  }
  t.notes.push_back("Positive numbers are drops in accuracy; the two causes add up to the total (baseB − AnB).");
  t.notes.push_back("p: two-sided paired t-test over units (target tasks) of each unit's base minus its BnB "
                    "(co-adaptation) and its BnB minus its AnB (specificity) at that n, as in the effects table, not "
                    "Holm-adjusted here; units: the fewer of the two; — below 3 units: too few to test.");
  return t;
}

Table effects_table(const Sources& src, Statistic s, Diagnostics& diag) {
  Table t{"effects", std::string("The paper's effects, top-1 (") + to_string(s) + "): each network minus the network of its own target task, by n",
          {"effect", "n", "units", "mean", "95% CI low", "95% CI high", "p", "Holm p", "sign-flip p", "verdict"}, {}, {}};
  if (src.size() > 1) t.headers.insert(t.headers.begin(), "source");
  std::set<int> unit_counts;
  bool continued = false;  // rows against a continued base (ours), so their notes
  for (const auto* ds : src)
    for (Effect e : kEffects)
      for (const EffectAtN& at : effect_by_n(*ds, s, e, &diag)) {
        if (at.test.n == 0) continue;
        unit_counts.insert(at.test.n);
        continued |= against_continued(e);
        const bool tested = at.test.tested();
        std::vector<Entry> row{Entry::of_text(label(e)), n_entry({ds}, at.n), Entry::count(at.test.n),
                               Entry::delta(at.test.mean),
                               tested ? Entry::delta(at.test.interval.low) : Entry::missing(),
                               tested ? Entry::delta(at.test.interval.high) : Entry::missing(),
                               Entry::probability(at.test.p), Entry::probability(at.holm),
                               Entry::probability(at.sign_flip), Entry::of_text(verdict(at))};
        if (src.size() > 1) row.insert(row.begin(), Entry::of_text(ds->name));
        t.rows.push_back(row);
      }
  t.notes.push_back(
      "A unit is one target task: a random split's target half under one replicate seed. Each network is compared "
      "with the network of its own unit (its own target's base for \"− baseB\"; BnB at the same n for \"− BnB\"), "
      "never with a pool of other tasks'. The two directions of one split and seed share networks (base A is AB's "
      "source and BA's target base): they count as two units, which are not independent.");
  if (continued)
    t.notes.push_back(
        "\"− continued base\" (ours, not the paper's): against the unit's own base trained for one more schedule from "
        "its final weights, every layer with fc8, the learning rate started again: a selffer's copied layers were "
        "trained twice, so this is the reference with the training time alike.");
  t.notes.push_back(
      "mean and 95% CI: the mean of the units' differences and its Student t interval (n − 1 degrees of freedom); "
      "p: the paired t-test of that mean against 0; Holm p: p adjusted over the " + number_word(max_layers(src)) +
      " n of the effect (Holm 1979); "
      "sign-flip p: the exact two-sided randomization p over all sign assignments of the differences, which needs "
      "no normality.");
  t.notes.push_back("Decision rule: an effect is seen at n when its Holm p is below 0.05 and its mean has the sign "
                    "the paper expects (below: the reverse seen; for an effect expected level with 0, a difference "
                    "seen); fewer than " +
                    std::to_string(kMinUnitsToTest) + " units: too few to test (no interval, no p).");
  for (int n : unit_counts)
    if (n >= kMinUnitsToTest && n <= kSignFlipMaxUnits && sign_flip_min_p(n) >= 0.05) {
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "With %d units the sign-flip p cannot go below %.3g: it cannot reach 0.05 whatever the data.", n,
                    sign_flip_min_p(n));
      t.notes.push_back(buf);
    }
  for (Effect e : kEffects)
    if (!against_continued(e) || continued) t.notes.push_back(std::string(label(e)) + ": " + meaning(e) + ".");
  return t;
}

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// min, mean and max of `v`, as deltas; missing where `v` is empty.
void add_spread(std::vector<Entry>& row, const std::vector<double>& v) {
  if (v.empty()) {
    row.insert(row.end(), 3, Entry::missing());
    return;
  }
  row.push_back(Entry::delta(summarize(v).mean));
  row.push_back(Entry::delta(*std::min_element(v.begin(), v.end())));
  row.push_back(Entry::delta(*std::max_element(v.begin(), v.end())));
}

// One row of the uncertainty table: the networks `pick` selects.
template <class Pred>
std::vector<Entry> uncertainty_row(const Dataset& ds, Statistic s, const std::string& group, Pred pick) {
  std::vector<double> images, se, over_final, over_full;
  for (const auto& [id, run] : ds.runs) {
    if (!pick(run.cell) || run.curve.empty()) continue;
    const double top10 = curve_statistic(run.curve, Statistic::Top10);
    over_final.push_back(top10 - curve_statistic(run.curve, Statistic::Final));
    if (run.full_test) over_full.push_back(top10 - run.full_test->top1);
    if (const int64_t n = run.curve.back().images; n > 0) {
      images.push_back(double(n));
      se.push_back(binomial_se(curve_statistic(run.curve, s), double(n)));
    }
  }
  std::vector<Entry> row = {Entry::of_text(group), Entry::count(int(over_final.size())),
                            images.empty() ? Entry::missing() : Entry::count(static_cast<int>(median(images))),
                            Entry::value(median(se)),
                            se.empty() ? Entry::missing() : Entry::value(*std::max_element(se.begin(), se.end()))};
  add_spread(row, over_final);
  row.push_back(Entry::count(int(over_full.size())));
  add_spread(row, over_full);
  return row;
}

}  // namespace

Table uncertainty_table(const Sources& src, Statistic s, Diagnostics&) {
  Table t{"uncertainty", std::string("Each network's own uncertainty: test-set sampling error of its top-1 (") + to_string(s) +
                             ") and the paper's statistic against the final test",
          {"group", "networks", "images per test", "SE median", "SE max", "top10 − final", "min", "max",
           "with a full test", "top10 − full", "min", "max"},
          {},
          {}};
  if (src.size() > 1) t.headers.insert(t.headers.begin(), "source");
  for (const auto* ds : src) {
    auto add = [&](const std::string& group, auto pick) {
      std::vector<Entry> row = uncertainty_row(*ds, s, group, pick);
      if (row[1].number == 0) return;
      if (src.size() > 1) row.insert(row.begin(), Entry::of_text(ds->name));
      t.rows.push_back(row);
    };
    add("baseB", [](const Cell& c) { return in_group(c, Group::BaseB, 0); });
    for (Group g : kTransferGroups)
      add(label(g), [g, ds](const Cell& c) {
        for (int n = 1; n <= ds->layers; ++n)
          if (in_group(c, g, n)) return true;
        return false;
      });
    add("every network", [](const Cell&) { return true; });
  }
  t.notes.push_back(
      "SE: the binomial standard error sqrt(p (1 − p) / images) of one test of a network, p its statistic and images "
      "the validation images each test scored (— where the results do not record it: Caffe logs, older results). The "
      "paper's statistic averages 10 tests of the same images, so its error over the choice of those images is about "
      "one test's, not smaller: two single networks closer than about 2 × sqrt(2) SE cannot be told apart.");
  t.notes.push_back(
      "top10 − final: the paper's statistic (the mean of the 10 best tests) minus the last test, per network. Positive "
      "where choosing the best tests lifts the statistic above where the run ended (selection on the same images: "
      "the more tests a run has, the more it can); negative where the run still improves at its end, so the best 10 "
      "include earlier, lower tests.");
  t.notes.push_back(
      "top10 − full: the paper's statistic minus one test of the run's last weights on every validation image (the "
      "trainer's full_test; counted under \"with a full test\", older results have none). It adds to the selection "
      "of top10 − final the difference between the images each test scores and the whole validation set (negative "
      "where those images are harder than the rest). A paired effect, both networks tested on the same images, "
      "cancels the part they share.");
  return t;
}

// 10. Each network: its statistic with the Wilson interval on the images its
// tests scored, and its last weights' test on the whole validation set.
Table networks_table(const Sources& src, Statistic s, Diagnostics&) {
  Table t{"networks", std::string("Each network's statistic (") + to_string(s) +
                          ") with its own 95% interval, and its test on the whole validation set",
          {"network", "statistic", "images per test", "Wilson 95% low", "Wilson 95% high", "full test", "images",
           "statistic − full"},
          {},
          {}};
  if (src.size() > 1) t.headers.insert(t.headers.begin(), "source");
  for (const auto* ds : src)
    for (const auto& [id, run] : ds->runs) {
      const double v = curve_statistic(run.curve, s);
      const int64_t n = run.curve.empty() ? 0 : run.curve.back().images;
      const Interval w = n > 0 ? wilson_interval(v * double(n), double(n)) : Interval{};
      std::vector<Entry> row = {Entry::of_text(id), Entry::value(v), n > 0 ? Entry::count(int(n)) : Entry::missing(),
                                Entry::value(w.low), Entry::value(w.high)};
      if (run.full_test) {
        row.push_back(Entry::value(run.full_test->top1));
        row.push_back(Entry::count(int(run.full_test->images)));
        row.push_back(Entry::delta(v - run.full_test->top1));
      } else {
        row.insert(row.end(), 3, Entry::missing());
      }
      if (src.size() > 1) row.insert(row.begin(), Entry::of_text(ds->name));
      t.rows.push_back(std::move(row));
    }
  t.notes.push_back(
      "Wilson 95%: the score interval of a binomial proportion (Wilson 1927) with the statistic as the proportion and "
      "the images one test scored as the trials; it never leaves [0, 1]. It is the interval over the choice of test "
      "images, not over training runs (— where the images are not recorded: Caffe logs, older results). Full test: "
      "the run's last weights on every validation image, once, after training.");
  return t;
}

std::vector<Table> all_tables(const Sources& src, Statistic s, Diagnostics& diag) {
  return {main_table(src, s, diag),   boost_table(src, s, diag),   dissimilar_table(src, s, diag),
          random_table(src, s, diag), relative_table(src, s, diag), reduced_table(src, s, diag),
          decomposition_table(src, s, diag), effects_table(src, s, diag), uncertainty_table(src, s, diag),
          networks_table(src, s, diag), generality_table(src, s, diag), representations_table(src, s, diag)};
}

std::vector<std::string> missing_cells(const Dataset& ds, const std::vector<std::string>& expected) {
  std::vector<std::string> out;
  for (const auto& id : expected)
    if (!ds.runs.count(id)) out.push_back(id);
  return out;
}

}  // namespace xfer
