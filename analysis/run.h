// run.h: one trained network as the analysis sees it (its cell, its validation
// curve, where it came from), the per-network statistics, and a data set: all
// the networks read from one input (our results directory or the paper's logs).
#pragma once

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "grid/cell.h"
#include "net/net_spec.h"  // kMaxTransferLayer
#include "result/curve.h"        // CurvePoint, Statistic, curve_statistic
#include "result/result_file.h"  // RunResult
#include "result/similarity_file.h"

namespace xfer {

// A run's result (result.json's one type, or what Caffe logs give of it: the
// cell id and the curve), with the cell its id names and where it was read.
struct NetRun : RunResult {
  Cell cell;
  std::string origin;  // the file or folder it was read from, for messages
  // similarity.json beside result.json (xfer_similarity --results), keeping
  // only the comparisons computed from this run and the runs now beside it.
  std::optional<SimilarityFile> similarity;
};

// Mean, sample standard deviation (n - 1; NaN below two values) and count of
// a group of networks. An empty group has count 0 and NaN mean: never zero.
struct Summary {
  double mean = NAN;
  double std = NAN;
  int count = 0;
  bool empty() const { return count == 0; }
};
Summary summarize(const std::vector<double>& values);

struct Dataset;
// The most transfer units of any of `data`'s networks: how far n runs in a
// table that sets them side by side.
int max_layers(const std::vector<const Dataset*>& data);
// n as the tables and figures show it: "3", or where the network's units are
// stages "3 (layer2)".
std::string layer_label(const std::vector<const Dataset*>& data, int n);

// All the networks of one input, keyed by cell id. Only finished runs with
// finite curves are here; unfinished ones are named in the warnings and listed
// apart, diverged ones and unreadable files are named in the warnings only.
struct Dataset {
  std::string name;  // "paper" or "ours": column prefixes and figure legends
  // The network every run trained (one per data set), how many transfer units
  // n counts to, and, where a unit is a stage of several layers (a ResNet),
  // their names by n - 1 ("stem", "layer1", ...) for the tables and figures;
  // empty where n counts layers (CaffeNet's conv1..fc7).
  std::string network = "caffenet";
  int layers = kMaxTransferLayer;
  std::vector<std::string> stages;
  // The copied (and random) stages' batch normalisation of its transfers and
  // random cells (the grid's bn axis): "frozen" or "train", "" for a network
  // without it. One value per data set: the values are never pooled.
  std::string bn;
  std::map<std::string, NetRun> runs;
  std::vector<std::string> unfinished;
  // The cells of the grid that made these results (<results>/grid.ini), when
  // known: a group the grid never had is absent, not missing.
  std::optional<std::vector<Cell>> planned;

  // Whether the grid has a cell satisfying `pick` (true when it is not known).
  template <class Pred>
  bool plans(Pred pick) const {
    if (!planned) return true;
    for (const auto& c : *planned)
      if (pick(c)) return true;
    return false;
  }

  // Takes network `preset`'s transfer units (throws on an unknown preset).
  void set_network(const std::string& preset);

  // The statistic of every finished network whose cell satisfies `pick`.
  template <class Pred>
  std::vector<double> values(Statistic s, Pred pick) const {
    std::vector<double> out;
    for (const auto& [id, run] : runs)
      if (pick(run.cell)) out.push_back(curve_statistic(run.curve, s));
    return out;
  }
};

}  // namespace xfer
