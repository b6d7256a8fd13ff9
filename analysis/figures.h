// figures.h: the paper's figures as PNG and SVG, drawn by gnuplot run as a
// subprocess on a generated script and data file. With two data sets both go
// on one figure: the first filled and solid, the second hollow and dashed.
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

// Writes, each as .png and .svg into out_dir:
//   transfer:   every net of baseB, BnB, BnB+, AnB, AnB+ against n, means joined (figure 2)
//   dissimilar: natural/man-made transfers and random filters with the random-split AnB (figure 3 top)
//   relative:   AnB minus its target's base, random vs dissimilar splits (figure 3 bottom)
//   reduced:    images per class against top-1
// Files appear under their final names only once complete (temp + rename).
// Returns the files written; throws std::runtime_error when gnuplot fails.
std::vector<std::filesystem::path> write_figures(const std::vector<const Dataset*>& src,
                                                 const FigureOptions& opt, Diagnostics& diag);

}  // namespace xfer
