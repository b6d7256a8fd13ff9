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

// One result file. Another schema or version, invalid JSON, a missing field
// or an id that is not a cell id is reported (naming the file) and gives
// std::nullopt. The statistic stored in the file is not used: the analysis
// recomputes it from the curve.
std::optional<NetRun> read_result_file(const std::filesystem::path& file, Diagnostics& diag);

// Every result.json under `dir`, recursively. Unfinished runs are named in the
// warnings and kept out of the groups; a cell id found twice keeps the first
// file (in path order) and names the other. An empty tree is reported.
Dataset read_results_dir(const std::filesystem::path& dir, const std::string& dataset_name,
                         Diagnostics& diag);

}  // namespace xfer
