// grid.cpp: enumeration of the cells of a grid config (order and rules in grid.h).
#include "grid/grid.h"

#include <cstdio>
#include <sstream>

namespace xfer {

const GridCell* Grid::find(const std::string& id) const {
  auto it = index_of.find(id);
  return it == index_of.end() ? nullptr : &cells[it->second];
}

double Grid::total_cost_hours() const {
  double h = 0;
  for (const auto& c : cells) h += c.cost_hours;
  return h;
}

namespace {

class Builder {
 public:
  explicit Builder(const GridConfig& cfg) : cfg_(cfg) {}

  // Adds `c` unless a cell with its id exists; returns its index.
  int add(const Cell& c) {
    std::string id = c.id();
    if (auto it = grid_.index_of.find(id); it != grid_.index_of.end()) return it->second;
    GridCell g;
    g.index = static_cast<int>(grid_.cells.size());
    g.cell = c;
    g.id = id;
    g.solver = c.reduced_k > 0 ? cfg_.reduced_solver : cfg_.solver;
    g.cost_hours = static_cast<double>(g.solver.max_iter) * g.solver.batch /
                   (cfg_.images_per_sec * cfg_.slurm.ranks) / 3600.0;
    grid_.index_of[id] = g.index;
    grid_.cells.push_back(std::move(g));
    return grid_.cells.back().index;
  }

  // The half bases (of a split, not reduced) of `seed` so far, in grid order.
  std::vector<Cell> half_bases(int seed) const {
    std::vector<Cell> out;
    for (const auto& g : grid_.cells)
      if (g.cell.kind == CellKind::Base && g.cell.target != 0 && g.cell.reduced_k == 0 && g.cell.seed == seed)
        out.push_back(g.cell);
    return out;
  }

  Grid finish() {
    // Bases first: a base added for a transfer goes before every non-base.
    std::vector<GridCell> bases, rest;
    for (auto& c : grid_.cells) (c.cell.kind == CellKind::Base ? bases : rest).push_back(c);
    Grid out;
    out.config = cfg_;
    for (auto* part : {&bases, &rest}) {
      for (auto& c : *part) {
        c.index = static_cast<int>(out.cells.size());
        out.index_of[c.id] = c.index;
        out.cells.push_back(c);
      }
    }
    for (auto& c : out.cells)
      if (c.cell.needs_base()) c.deps = {out.index_of.at(c.cell.base_of_source().id())};
    return out;
  }

 private:
  const GridConfig& cfg_;
  Grid grid_;
};


}  // namespace

Grid enumerate_grid(const GridConfig& cfg) {
  Builder b(cfg);
  for (int seed : cfg.seeds) {
    for (const auto& split : cfg.base_splits) {
      if (split == "all") {
        b.add(base_cell("all", 0, seed));
        continue;
      }
      b.add(base_cell(split, 'A', seed));
      b.add(base_cell(split, 'B', seed));
    }
    if (cfg.all_base) b.add(base_cell("all", 0, seed));
    for (int k : cfg.reduced_k) b.add(base_cell("all", 0, seed, k));

    for (const auto& block : cfg.transfers) {
      for (const auto& split : block.splits) {
        for (const auto& dir : block.directions) {
          for (TransferMode mode : block.modes) {
            for (const std::string& bn : block.bn) {
              for (int n : block.n) {
                const Cell c = transfer_cell(split, dir[0], dir[1], n, mode, seed, bn);
                b.add(c.base_of_source());
                b.add(c);
              }
            }
          }
        }
      }
    }
    if (cfg.continued) {
      for (const Cell& base : b.half_bases(seed)) {
        Cell c = base;
        c.kind = CellKind::Continued;
        c.source = base.target;
        c.mode = TransferMode::Continue;
        b.add(c);
      }
    }
    for (const auto& block : cfg.randoms) {
      for (const auto& split : block.splits) {
        std::vector<char> halves = block.halves;
        if (split == "all") halves = {0};
        for (char half : halves) {
          for (const std::string& bn : block.bn) {
            for (int n : block.n) {
              Cell c;
              c.kind = CellKind::Random;
              c.split = split;
              c.target = half;
              c.n = n;
              c.mode = TransferMode::Random;
              c.seed = seed;
              c.bn = bn;
              b.add(c);
            }
          }
        }
      }
    }
  }
  return b.finish();
}

namespace {

std::string kind_name(const Cell& c) {
  switch (c.kind) {
    case CellKind::Base: return c.reduced_k > 0 ? "base-reduced" : "base";
    case CellKind::Transfer: return std::string("transfer-") + to_string(c.mode);
    case CellKind::Random: return "random";
    case CellKind::Continued: return "base-continued";
  }
  return "?";
}

}  // namespace

std::string format_table(const Grid& grid) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%5s  %-28s %-18s %-10s %-28s %9s %9s\n", "index", "id", "kind",
                "data", "after", "iters", "est.h");
  out << line;
  for (const auto& c : grid.cells) {
    std::string deps;
    for (int d : c.deps) deps += (deps.empty() ? "" : ",") + grid.cells[d].id;
    if (deps.empty()) deps.push_back('-');
    std::snprintf(line, sizeof line, "%5d  %-28s %-18s %-10s %-28s %9d %9.2f\n", c.index,
                  c.id.c_str(), kind_name(c.cell).c_str(), c.cell.data_name().c_str(),
                  deps.c_str(), c.solver.max_iter, c.cost_hours);
    out << line;
  }
  return out.str();
}

std::string format_summary(const Grid& grid) {
  std::map<std::string, int> counts;
  std::map<std::string, double> hours;
  for (const auto& c : grid.cells) {
    counts[kind_name(c.cell)]++;
    hours[kind_name(c.cell)] += c.cost_hours;
  }
  std::ostringstream out;
  char line[160];
  for (const auto& [k, n] : counts) {
    std::snprintf(line, sizeof line, "%-18s %5d cells %10.2f h\n", k.c_str(), n, hours[k]);
    out << line;
  }
  std::snprintf(line, sizeof line, "%-18s %5zu cells %10.2f h at %g images/s per rank, %d rank(s) per cell\n",
                "total", grid.cells.size(), grid.total_cost_hours(), grid.config.images_per_sec,
                grid.config.slurm.ranks);
  out << line;
  return out.str();
}

}  // namespace xfer
