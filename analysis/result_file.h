// result_file.h: reading our trainer's result.json files (schema "xfer.result",
// version 1) into the analysis's NetRun.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "analysis/diagnostics.h"
#include "analysis/run.h"

namespace xfer {

inline constexpr const char* kResultSchema = "xfer.result";
inline constexpr int kResultSchemaVersion = 1;

// One result file. Another schema or version, invalid JSON, a missing field,
// an id that is not a cell id, a "status" that contradicts "finished", or a
// curve value that is not a finite number (null: how NaN is written) is
// reported once (naming the file and what is wrong) and gives std::nullopt.
// Files without "status" (older trainers) take it from "finished". A diverged
// run comes back with its status and `divergence`, and no curve. The
// statistic stored in the file is not used: the analysis recomputes it from
// the curve (and refuses a curve whose statistic is not finite).
std::optional<NetRun> read_result_file(const std::filesystem::path& file, Diagnostics& diag);

// Every result.json under `dir`, recursively, except below dot folders (such
// as .stale/, where xfer_grid --rerun-stale moves old cells), which are named
// in the warnings and read only with `include_hidden`. Unfinished runs are
// named in the warnings and kept out of the groups; diverged runs are named
// (cell, iteration, what) and left out. A cell id held by two files is an
// error naming both, and neither is used: which one is current is unknowable.
// An empty tree is reported.
Dataset read_results_dir(const std::filesystem::path& dir, const std::string& dataset_name,
                         Diagnostics& diag, bool include_hidden = false);

}  // namespace xfer
