// generality.cpp: the generality profile, the transfer cells' similarities and
// their figures (generality.h).
#include "analysis/generality.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "analysis/groups.h"

namespace xfer {

namespace {

// The transfer's cost at each n, one value per direction (frozen): AnB minus
// BnB (the paper's specificity), or AnB minus the target's own base.
struct Cost {
  std::string label;
  std::vector<std::vector<double>> units;  // [n - 1], n = 1..the network's transfer units
  double mean(size_t n) const {
    const auto& u = units[n - 1];
    return u.empty() ? NAN : std::accumulate(u.begin(), u.end(), 0.0) / double(u.size());
  }
  size_t layers() const {
    size_t k = 0;
    for (const auto& u : units) k += !u.empty();
    return k;
  }
};

// One split (and replicate seed) whose two bases were compared.
struct Profile {
  std::string split;
  int seed = 0;
  std::vector<std::vector<double>> matrix;  // [layer of base A][layer of base B]
  std::vector<double> floor_a, floor_b;     // each base against its initial weights, by boundary
  std::vector<double> ceiling;              // replicate bases, mean by boundary; empty: none
  bool shared_init = false;                 // both bases started from the same weights
  size_t transfer_units = 0;                // the network's (CaffeNet's 7)
  Cost selffer{"AnB − BnB", {}}, base{"AnB − its base", {}};
  std::string label() const { return seed ? split + "-s" + std::to_string(seed) : split; }
  size_t layers() const { return matrix.size(); }
  double across(size_t n) const { return matrix[n - 1][n - 1]; }
  // What the note and the figure set beside the profile: AnB − BnB where the
  // grid has selffers for this split, else AnB − its base (the dissimilar splits).
  const Cost& cost() const { return selffer.layers() ? selffer : base; }
};

std::vector<double> diagonal(const std::vector<std::vector<double>>& m) {
  std::vector<double> d;
  for (size_t i = 0; i < m.size() && i < m[i].size(); ++i) d.push_back(m[i][i]);
  return d;
}

const NetRun* find_run(const Dataset& ds, const Cell& c) {
  auto it = ds.runs.find(c.id());
  return it == ds.runs.end() ? nullptr : &it->second;
}

const Comparison* comparison(const NetRun* r, const std::string& role, const std::string& other = "") {
  return r && r->similarity ? r->similarity->find(role, other) : nullptr;
}

// The frozen transfer into `target` at n minus BnB and minus the target's base
// (each left out where either network is missing).
void add_costs(const Dataset& ds, Statistic s, Profile& p, char target, int n) {
  const char source = target == 'A' ? 'B' : 'A';
  const NetRun* anb = find_run(ds, transfer_cell(p.split, source, target, n, TransferMode::Frozen, p.seed, ds.bn));
  if (!anb) return;
  const double v = curve_statistic(anb->curve, s);
  if (const NetRun* bnb = find_run(ds, transfer_cell(p.split, target, target, n, TransferMode::Frozen, p.seed, ds.bn)))
    p.selffer.units[n - 1].push_back(v - curve_statistic(bnb->curve, s));
  if (const NetRun* base = find_run(ds, base_cell(p.split, target, p.seed)))
    p.base.units[n - 1].push_back(v - curve_statistic(base->curve, s));
}

std::vector<Profile> profiles(const Dataset& ds, Statistic s) {
  std::vector<Profile> out;
  for (const auto& [id, run] : ds.runs) {
    const Cell& c = run.cell;
    if (c.kind != CellKind::Base || c.reduced_k > 0 || c.target != 'A') continue;
    const NetRun* b = find_run(ds, base_cell(c.split, 'B', c.seed));
    const Comparison* across = comparison(&run, "other_base", b ? b->cell_id : "");
    if (!b || !across) continue;
    Profile p;
    p.split = c.split;
    p.seed = c.seed;
    p.matrix = across->cka;
    const Comparison *fa = comparison(&run, "init"), *fb = comparison(b, "init");
    if (fa) p.floor_a = diagonal(fa->cka);
    if (fb) p.floor_b = diagonal(fb->cka);
    p.shared_init = fa && fb && fa->other_net.weights == fb->other_net.weights;
    std::vector<std::vector<double>> reps;
    for (const NetRun* r : {&run, b})
      for (const auto& k : r->similarity ? r->similarity->comparisons : std::vector<Comparison>{})
        if (k.role == "replicate") reps.push_back(diagonal(k.cka));
    if (!reps.empty()) {
      p.ceiling.assign(reps[0].size(), 0.0);
      for (const auto& r : reps)
        for (size_t i = 0; i < r.size() && i < p.ceiling.size(); ++i) p.ceiling[i] += r[i] / double(reps.size());
    }
    p.transfer_units = size_t(ds.layers);
    p.selffer.units.resize(p.transfer_units);
    p.base.units.resize(p.transfer_units);
    for (int n = 1; n <= ds.layers; ++n) {
      add_costs(ds, s, p, 'B', n);
      add_costs(ds, s, p, 'A', n);
    }
    out.push_back(std::move(p));
  }
  return out;
}

double at(const std::vector<double>& v, size_t n) { return n >= 1 && n <= v.size() ? v[n - 1] : NAN; }

// Spearman's rank correlation of two equally long series without ties
// (Pearson's correlation of their ranks); NaN below three pairs.
double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() < 3 || x.size() != y.size()) return NAN;
  auto ranks = [](const std::vector<double>& v) {
    std::vector<size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < idx.size(); ++i) r[idx[i]] = double(i + 1);
    return r;
  };
  const std::vector<double> rx = ranks(x), ry = ranks(y);
  const double mean = (double(x.size()) + 1) / 2;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  return sxy / std::sqrt(sxx * syy);
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.*f", digits, v);
  return buf;
}

// What the profile of `p` says beside its transfer cost, in numbers: the
// layers the profile calls general and whether their transfer costs little.
std::string profile_note(const Profile& p) {
  const Cost& c = p.cost();
  std::vector<double> cka, cost;
  std::vector<int> ns;
  for (int n = 1; size_t(n) <= p.transfer_units && size_t(n) <= p.layers(); ++n)
    if (!std::isnan(c.mean(n))) {
      cka.push_back(p.across(n));
      cost.push_back(c.mean(n));
      ns.push_back(n);
    }
  const size_t top = std::min(p.transfer_units, p.layers());
  char buf[512];
  std::snprintf(buf, sizeof buf, "%s: CKA of the two bases %.3f at n = 1, %.3f at n = %zu;", p.label().c_str(),
                p.across(1), p.across(top), top);
  std::string s = buf;
  if (cka.size() < 3) return s + " too few frozen transfers to set beside it.";
  std::snprintf(buf, sizeof buf,
                " %s %s at n = %d, %s at n = %d%s; Spearman's rank correlation of the two over the %zu layers "
                "%+.2f (+1: the more alike the two bases' layers, the less their transfer costs; descriptive: the "
                "layers of one pair of networks are not independent units).",
                c.label.c_str(), fixed(cost.front(), 4).c_str(), ns.front(), fixed(cost.back(), 4).c_str(), ns.back(),
                &c == &p.base ? " (this split's grid has no BnB)" : "", cka.size(), spearman(cka, cost));
  return s + buf;
}

std::string boundary_label(size_t n, size_t layers) { return n == layers ? "logits" : std::to_string(n); }

}  // namespace

Table generality_table(const std::vector<const Dataset*>& src, Statistic s, Diagnostics&) {
  Table t{"generality",
          "Generality measured directly: debiased linear CKA of the two bases of each split at each transfer boundary "
          "n, beside the cost of transferring frozen layers 1..n",
          {"split", "n", "images", "baseA ~ baseB", "baseA ~ its init", "baseB ~ its init", "replicates",
           "AnB − BnB", "directions", "AnB − its base", "directions"},
          {},
          {}};
  if (src.size() > 1) t.headers.insert(t.headers.begin(), "source");
  bool shared = false;
  for (const auto* ds : src)
    for (const Profile& p : profiles(*ds, s)) {
      const NetRun* a = find_run(*ds, base_cell(p.split, 'A', p.seed));
      const int64_t images = a->similarity->images.count;
      shared |= p.shared_init;
      for (size_t n = 1; n <= p.layers(); ++n) {
        const bool transfer = n <= p.transfer_units;
        std::vector<Entry> row = {
            Entry::of_text(p.label()), Entry::of_text(boundary_label(n, p.layers())), Entry::count(int(images)),
            Entry::value(p.across(n)), Entry::value(at(p.floor_a, n)), Entry::value(at(p.floor_b, n)),
            Entry::value(at(p.ceiling, n))};
        for (const Cost* c : {&p.selffer, &p.base}) {
          row.push_back(transfer ? Entry::delta(c->mean(n)) : Entry::missing());
          row.push_back(transfer ? Entry::count(int(c->units[n - 1].size())) : Entry::missing());
        }
        if (src.size() > 1) row.insert(row.begin(), Entry::of_text(ds->name));
        t.rows.push_back(row);
      }
      t.notes.push_back(profile_note(p));
    }
  t.notes.push_back(
      "CKA: debiased linear CKA (Kornblith et al. 2019; unbiased HSIC of Song et al. 2012 summed over minibatches as "
      "in Nguyen et al. 2021) of the representations at boundary n: what layer n + 1 receives, where a transfer cuts; "
      "\"logits\" the last layer's outputs. 1: alike up to a rotation and a scale; near 0: unrelated. Both bases see "
      "the same validation images (both halves' classes), each with its own mean image.");
  t.notes.push_back(
      "baseA ~ its init: the base against its own run's initial weights, the same draw as the random-filter control's "
      "random layers: how much of the similarity a layer keeps from where training started. replicates: a base "
      "against the same half's base of another seed (— where the grid has one seed).");
  if (shared)
    t.notes.push_back(
        "The two bases of a split started from the same initial weights (one seed for the whole grid), so their "
        "similarity includes what neither moved from that start; read it against the floor.");
  t.notes.push_back(
      "AnB − BnB: the transfer's cost at n (frozen, the paper's specificity), the mean of the split's two directions "
      "(counted under directions); AnB − its base: the same transfer against the base of its own target (what the "
      "dissimilar splits, which have no BnB, can give); — at the logits, which are never transferred.");
  return t;
}

Table representations_table(const std::vector<const Dataset*>& src, Statistic, Diagnostics&) {
  Table t{"representations",
          "Each transfer, random-filter and continued cell against the base it copied (source) and the base of the "
          "half it trained on (target): debiased linear CKA at its cut n and at layer 7",
          {"cell", "n", "source ~ at n", "target ~ at n", "source ~ at 7", "target ~ at 7"},
          {},
          {}};
  if (src.size() > 1) t.headers.insert(t.headers.begin(), "source");
  for (const auto* ds : src)
    for (const auto& [id, run] : ds->runs) {
      if (run.cell.kind == CellKind::Base || !run.similarity) continue;
      const Comparison *so = comparison(&run, "source_base"), *ta = comparison(&run, "target_base");
      if (!so && !ta) continue;
      auto value = [](const Comparison* c, int n) {
        return c && n >= 1 && size_t(n) <= c->cka.size() ? Entry::value(c->cka[n - 1][n - 1]) : Entry::missing();
      };
      const int n = run.cell.n;
      std::vector<Entry> row = {Entry::of_text(id), n ? Entry::count(n) : Entry::missing(), value(so, n), value(ta, n),
                                value(so, ds->layers), value(ta, ds->layers)};
      if (src.size() > 1) row.insert(row.begin(), Entry::of_text(ds->name));
      t.rows.push_back(row);
    }
  t.notes.push_back(
      "A frozen cell keeps layers 1..n of its source exactly (1 at n, by construction); a fine-tuned one shows how "
      "much of the copied representation training on the new half kept. Layer 7 is the top layer trained anew in "
      "every cell. A random-filter cell has no source.");
  return t;
}

namespace {

const char* const kSplitColors[] = {"#1f5fbf", "#2a9d3a", "#d2691e", "#8e44ad", "#b03a2e", "#117a8b"};

void add_y2_series(FigureSpec& f, const std::string& source, const std::string& series, const std::string& legend, const SeriesStyle& st,
                   const std::vector<NetPoint>& nets, const std::vector<MeanPoint>& means) {
  FigureSpec part;  // its values must not fit the left axis
  add_series(part, source, series, legend, st, nets, means);
  f.nets_rows += part.nets_rows;
  f.means_rows += part.means_rows;
  // Dotted, with triangles: not to be read as a CKA series of the left axis.
  auto swap = [](std::string& c, const std::string& from, const std::string& to) {
    const size_t at = c.find(from);
    if (at != std::string::npos) c.replace(at, from.size(), to);
  };
  for (std::string c : part.clauses) {
    swap(c, " with ", " axes x1y2 with ");
    swap(c, " dt 2", " dt 3");
    swap(c, " pt 4 ", " pt 8 ");
    swap(c, " pt 6 ", " pt 8 ");
    f.clauses.push_back(c);
  }
  f.legend_entries += part.legend_entries;
}

FigureSpec profile_figure(const Dataset& ds, const std::vector<Profile>& all) {
  FigureSpec f;
  f.name = "generality";
  f.title = "Generality profile: CKA of the two bases by boundary n (left), the transfer's cost (right)";
  f.xlabel = "boundary n (what layer n + 1 receives; 8: the logits)";
  f.ylabel = "debiased linear CKA";
  f.settings = {"set xrange [0.5:8.5]", "set xtics 1", "set y2tics", "set ytics nomirror",
                "set y2label 'AnB − BnB, or AnB − its base where no BnB (top-1, frozen)'"};
  f.cover(0);
  f.cover(1);
  size_t k = 0;
  for (const Profile& p : all) {
    const char* color = kSplitColors[k++ % std::size(kSplitColors)];
    std::vector<MeanPoint> across, floor, cost;
    std::vector<NetPoint> floors, costs;
    for (size_t n = 1; n <= p.layers(); ++n) {
      across.push_back({int(n), double(n), summarize({p.across(n)}), Interval{}});
      std::vector<double> fl;
      for (double v : {at(p.floor_a, n), at(p.floor_b, n)})
        if (!std::isnan(v)) fl.push_back(v), floors.push_back({p.label(), int(n), double(n), v});
      if (!fl.empty()) floor.push_back({int(n), double(n), summarize(fl), Interval{}});
      if (n <= p.transfer_units && !p.cost().units[n - 1].empty()) {
        for (double v : p.cost().units[n - 1]) costs.push_back({p.label(), int(n), double(n) + 0.1, v});
        cost.push_back({int(n), double(n) + 0.1, summarize(p.cost().units[n - 1]), Interval{}});
      }
    }
    add_series(f, ds.name, p.label() + " bases", p.label() + ": baseA ~ baseB", {color, false}, {}, across);
    add_series(f, ds.name, p.label() + " floor", p.label() + ": each base ~ its init", {color, true}, floors, floor);
    if (!cost.empty())
      add_y2_series(f, ds.name, p.label() + " cost", p.label() + ": " + p.cost().label + " (right)", {color, true, true},
                    costs, cost);
  }
  if (f.clauses.empty()) return f;
  // The cost axis keeps zero in view and the same margins as the values.
  double lo = 0, hi = 0;
  for (const Profile& p : all)
    for (const auto& u : p.cost().units)
      for (double v : u) lo = std::min(lo, v), hi = std::max(hi, v);
  const double m = std::max(0.05 * (hi - lo), 0.005);
  char buf[96];
  std::snprintf(buf, sizeof buf, "set y2range [%.4f:%.4f]", lo - m, hi + m);
  f.settings.push_back(buf);
  return f;
}

FigureSpec heatmap_figure(const std::string& source, const Profile& p) {
  FigureSpec f;
  f.name = "generality_heatmap_" + p.label();
  f.title = p.label() + ": CKA of every layer of base A (x) with every layer of base B (y)";
  f.xlabel = "boundary of baseA (8: logits)";
  f.ylabel = "boundary of baseB (8: logits)";
  const size_t L = p.layers();
  char range[96];
  std::snprintf(range, sizeof range, "set xrange [0.5:%zu.5]; set yrange [0.5:%zu.5]", L, L);
  f.settings = {range, "set xtics 1", "set ytics 1", "set cbrange [0:1]", "set cblabel 'debiased linear CKA'",
                "set palette defined (0 '#ffffff', 1 '#5b8fd0')", "unset grid", "set size ratio 1"};
  for (size_t a = 1; a <= L; ++a)
    for (size_t b = 1; b <= L && b <= p.matrix[a - 1].size(); ++b) {
      char row[128];
      std::snprintf(row, sizeof row, "%s,%s,%s,%zu,%zu,%.9g\n", source.c_str(), p.label().c_str(), p.label().c_str(),
                    a, b, p.matrix[a - 1][b - 1]);
      f.nets_rows += row;
    }
  f.clauses = {"nets using 'n':'x':'top1' with image notitle",
               "nets using 'n':'x':(sprintf('%.2f', column('top1'))) with labels font ',9' notitle"};
  return f;
}

}  // namespace

std::vector<FigureSpec> generality_figures(const std::vector<const Dataset*>& src, Statistic s) {
  std::vector<FigureSpec> out;
  for (const Dataset* ds : src) {  // ours: the paper's logs have no representations
    const std::vector<Profile> all = profiles(*ds, s);
    FigureSpec profile = profile_figure(*ds, all);
    if (profile.clauses.empty()) continue;
    out.push_back(std::move(profile));
    for (const Profile& p : all) out.push_back(heatmap_figure(ds->name, p));
    break;
  }
  return out;
}

}  // namespace xfer
