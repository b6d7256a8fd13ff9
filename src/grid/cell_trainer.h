// cell_trainer.h: what the grid tells the trainer for one cell, and the run
// identity that follows from it, computed as the trainer computes it.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/train_config.h"
#include "grid/grid.h"

namespace xfer {

struct RunPaths {
  std::string results;  // the results directory
  std::string data;     // the data root: cell data is <data>/<cell.data_name()>
  std::string trainer;  // the xfer_train binary
};

// xfer_train's arguments for `cell` (without the program itself).
std::vector<std::string> trainer_args(const Grid& grid, const GridCell& cell, const RunPaths& paths,
                                      int threads);

// The identities of data folders, each read once per version of its record
// (a view's view.json and its store's manifest.json, or a folder's own
// manifest.json): status, plan and the runner ask for every cell, and many
// cells share one folder. One per command; nothing is kept between commands.
class DataIdentities {
 public:
  // The identity of the data `cfg` trains on (config/run_identity.h); throws
  // naming what is missing when the folder cannot be read.
  std::string of(const TrainConfig& cfg);

 private:
  std::map<std::string, std::pair<std::string, std::string>> seen_;  // folder -> (stamp, identity)
};

// The cell's run identity (config/run_identity.h), computed as the trainer
// computes it from the arguments the grid gives it: its data folder's
// identity and, for a transfer or a continued base, the base's identity from the base's
// result.json. When the data folder cannot be read now, `recorded_data` (what
// cell.json recorded) stands in for it.
struct CellIdentity {
  std::string run, data;
};
CellIdentity cell_identity(const Grid& grid, const GridCell& cell, const RunPaths& paths,
                           DataIdentities& identities, const std::string& recorded_data = "");

}  // namespace xfer
