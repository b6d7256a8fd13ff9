// grid_views.h: the data folders a grid's cells train on, as views of the
// dataset's store (data/view.h): those missing are made before anything
// runs or is submitted, by xfer_make_views from the split's definition
// (the grid config's [splits] file, or a built-in name), and every folder a
// cell to submit needs is checked to be there.
#pragma once

#include <string>
#include <vector>

#include "grid/grid.h"

namespace xfer {

// The split definitions, as xfer_make_views takes them (NAME=FILE for a
// [splits] line, else the built-in name), of the cells' views under `data`
// that must be made: missing ones, views that no longer open (their store
// changed), and views of [splits] files (edited since? xfer_make_views keeps
// the current ones). None without a store (`data`/all) to view.
std::vector<std::string> splits_to_make(const Grid& grid, const std::string& data);

// Runs `make_views` (the xfer_make_views binary) on them, echoing its
// output; throws one line naming the splits when it fails.
void make_missing_views(const Grid& grid, const std::string& data, const std::string& make_views);

// The first of the cells `ids` whose data folder is missing (neither a view
// nor a folder of its own shards) and is not among the definitions `to_make`
// (a dry run's), as a line naming it; "" when none is. The trainer checks
// what a folder holds when it opens it.
std::string missing_data(const Grid& grid, const std::vector<std::string>& ids, const std::string& data,
                         const std::vector<std::string>& to_make = {});

}  // namespace xfer
