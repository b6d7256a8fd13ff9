// figures.h: the paper's figures as PNG, SVG and PDF, drawn by gnuplot run as
// a subprocess. Beside each figure stay its data (<name>_nets.csv, one row per
// network; <name>_means.csv, one per group with its 95% interval) and the
// script that draws it, so it can be restyled without the results. With two
// data sets both go on one figure: the first filled and solid, the second
// hollow and dashed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "analysis/diagnostics.h"
#include "analysis/run.h"

namespace xfer {

struct FigureOptions {
  std::filesystem::path out_dir;
  Statistic statistic = Statistic::Top10;
  std::string gnuplot = "gnuplot";  // the program to run
};

// Writes, each as .png, .svg, .pdf (where gnuplot has pdfcairo), .gp and the
// two CSVs into out_dir:
//   transfer:         figure 2 top: every net of baseB, BnB, BnB+, AnB, AnB+ against n, with the means
//   transfer_effects: figure 2 bottom: the means with their intervals and the four numbered effects
//   dissimilar:       natural/man-made transfers and random filters with the random-split AnB (figure 3 top)
//   relative:         AnB minus its target's base, random vs dissimilar splits (figure 3 bottom)
//   reduced:          images per class against top-1
// Every mean carries its 95% interval bar (none for one network); the key is
// below the plot; a series of a single point has no legend entry.
// Files appear under their final names only once complete (temp + rename).
// Returns the files written; throws std::runtime_error when gnuplot fails.
std::vector<std::filesystem::path> write_figures(const std::vector<const Dataset*>& src,
                                                 const FigureOptions& opt, Diagnostics& diag);

}  // namespace xfer
