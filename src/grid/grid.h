// grid.h: the one place that turns a grid configuration into its cells, with
// their order, dependencies and expected cost. Everything else (the local
// runner, the SLURM driver, status, the analysis) asks this for the cells.
//
// Order: for each seed, the bases (per split A then B, the all-class base, the
// reduced-volume bases), then the transfer blocks, then the continued bases
// ([base] continued: one per half base of a split, in the bases' order), then
// the random controls. A transfer or a continued base depends on exactly one
// cell, the base it copies from (Cell::base_of_source()), which is added when
// the config does not list it.
// Indices are positions in this order; the id is the stable key.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "grid/cell.h"
#include "grid/grid_config.h"

namespace xfer {

struct GridCell {
  int index = 0;
  Cell cell;
  std::string id;
  std::vector<int> deps;  // indices of the cells that must finish first
  SolverSettings solver;  // how this cell is trained
  double cost_hours = 0;  // expected wall time at grid.images_per_sec per rank
};

struct Grid {
  GridConfig config;
  std::vector<GridCell> cells;
  std::map<std::string, int> index_of;  // id -> index

  const GridCell* find(const std::string& id) const;
  double total_cost_hours() const;
};

Grid enumerate_grid(const GridConfig& cfg);

// A human table: index, id, kind, data, deps, iterations, expected hours.
std::string format_table(const Grid& grid);
// One line per kind/mode with counts, and the total.
std::string format_summary(const Grid& grid);

}  // namespace xfer
