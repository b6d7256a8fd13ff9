// export.h: a finished grid's results as a folder to commit or share: for
// every finished cell its result.json, config.ini, cell.json and, where
// xfer_similarity computed it, similarity.json (no checkpoints, no logs), and the resolved grid.ini, with no absolute path of
// the machine that ran it. A path inside the results folder becomes relative to
// it (the same layout in the export); any other absolute path (the data, the
// trainer, the trainer config) becomes relative to the export folder. What
// defines a result (its run identity, config/run_identity.h) holds no path, so
// the exported results keep their identities; xfer_tables checks each against
// its config.ini when it reads them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "grid/grid.h"

namespace xfer {

struct ExportSummary {
  int exported = 0;
  std::vector<std::string> not_finished;  // cells of the grid left out: not finished
};

// Writes each finished cell of `grid` under `results` to `out`/<id>/ and
// <results>/grid.ini to `out`/grid.ini, every file atomically. Throws, naming
// the file, where a finished cell's files are missing or its result's identity
// is not the one cell.json recorded for it.
ExportSummary export_results(const Grid& grid, const std::filesystem::path& results,
                             const std::filesystem::path& out);

// `text` with each space-separated word that is an absolute path rewritten as
// above (exposed for the tests).
std::string portable_paths(const std::string& text, const std::filesystem::path& results,
                           const std::filesystem::path& out);

}  // namespace xfer
