// results_dir.h: a results directory as a Dataset: our trainer's result.json
// files (read by result/result_file.h's strict reader) as the analysis's NetRun.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "analysis/diagnostics.h"
#include "analysis/run.h"

namespace xfer {

// One result file. What parse_result_file() refuses, and an id that is not a
// cell id, is reported once (naming the file and what is wrong) and gives
// std::nullopt. A diverged run comes back with its status and `divergence`,
// and no curve.
std::optional<NetRun> read_result_file(const std::filesystem::path& file, Diagnostics& diag);

// Every result.json under `dir`, recursively, except below dot folders (such
// as .stale/, where xfer_grid --rerun-stale moves old cells), which are named
// in the warnings and read only with `include_hidden`. Unfinished runs are
// named in the warnings and kept out of the groups; diverged runs are named
// (cell, iteration, what) and left out. A cell id held by two files is an
// error naming both, and neither is used: which one is current is unknowable.
// An empty tree is reported.
// The data set's network is its runs' (result.json's "preset"); runs of two
// networks in one tree are an error naming both.
Dataset read_results_dir(const std::filesystem::path& dir, const std::string& dataset_name,
                         Diagnostics& diag, bool include_hidden = false);

// A data set per value of the bn axis (the copied stages' batch normalisation,
// cell.h) among its cells, named "<name>-bnfrozen", "<name>-bntrain": each
// holds the bases and the cells of its value, so no group pools the two. A
// data set with one value (or none) comes back whole, its bn set.
std::vector<Dataset> split_by_batch_norm(Dataset ds);

}  // namespace xfer
