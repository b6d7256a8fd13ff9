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

// The split definitions, as xfer_make_views takes them (a file, or a
// built-in name), of the cells' folders under `data` that do not exist yet:
// neither a view nor a folder of its own shards. The store "all" is the prep
// tools' to make, never listed.
std::vector<std::string> splits_to_make(const Grid& grid, const std::string& data);

// Runs `make_views` (the xfer_make_views binary) on them, echoing its
// output; throws one line naming the split when it fails.
void make_missing_views(const Grid& grid, const std::string& data, const std::string& make_views);

// The first of the cells `ids` whose data folder is missing (neither a view
// nor a folder of its own shards), as a line naming it; "" when none is.
// The trainer checks what a folder holds when it opens it.
std::string missing_data(const Grid& grid, const std::vector<std::string>& ids, const std::string& data);

}  // namespace xfer
