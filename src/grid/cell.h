// cell.h: one cell of the experiment grid (a network to train) and its
// stable, readable id. The id is the cell's folder name under a results
// directory and the key the analysis groups by, so it is parsed back here too.
//
// Id grammar (fields in this order, [..] optional):
//   base      {split}[-{T}]-base[-k{K}][-s{seed}]      half0-A-base, all-base, all-base-k25
//   transfer  {split}-{S}{T}-n{n}-{frozen|finetune}[-bn{frozen|train}][-s{seed}]
//                                                     half0-AB-n3-frozen, half0-AB-n2-finetune-bntrain
//   random    {split}[-{T}]-random-n{n}[-bn{frozen|train}][-s{seed}]
//                                                     all-random-n2, half1-B-random-n4-bnfrozen
//   continued {split}[-{T}]-base-continued[-s{seed}]  half0-A-base-continued, half0-B-base-continued-s1
// split: "half<s>" (random halves from seed s), "all" (every class), or the
// name of a dissimilar split ("natman" for ImageNet's natural / man-made,
// "dissim" for Fashion-MNIST's upper-body garments / the rest). Halves are A
// and B; for "natman" A is natural and B man-made, as in the paper's release.
// The bn field is the copied (or random) stages' batch normalisation on a
// network that has it (the grid's bn axis, xfer_train --bn); networks without
// batch normalisation, and bases, have none, so their ids are unchanged.
// A continued base is its base trained for one more schedule from its final
// weights (every layer, fc8 included: TransferMode::Continue): the reference of
// a selffer, whose copied layers were trained twice. Not for reduced bases.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/transfer_mode.h"

namespace xfer {

enum class CellKind { Base, Transfer, Random, Continued };

struct Cell {
  CellKind kind = CellKind::Base;
  std::string split;    // "half0", "natman", "dissim", "all", ...
  char source = 0;      // the half whose base is copied: transfers, continued bases (== target); else 0
  char target = 0;      // half trained on: 'A', 'B', or 0 for split "all"
  int n = 0;            // layers copied (transfer) or left random (random), 1..kMaxTransferLayer
  TransferMode mode = TransferMode::None;
  int reduced_k = 0;    // >0: only the first K training images per class
  int seed = 0;         // replicate; 0 is the paper's single run
  std::string bn;       // transfers and random cells of a net with batch normalisation: "frozen" | "train"; else ""

  std::string id() const;
  // The folder of the training data for this cell under a data root:
  // "half0B", "natmanA", "all", "all-k25".
  std::string data_name() const;
  // The base cell whose weights a transfer or a continued base copies (same
  // split, source half, seed).
  Cell base_of_source() const;
  bool needs_base() const { return kind == CellKind::Transfer || kind == CellKind::Continued; }
  bool is_random_split() const { return split.rfind("half", 0) == 0; }
};

// Cells by their fields: the grid's enumeration, the analysis and the
// similarity tool make the same cell the same way.
Cell base_cell(const std::string& split, char half, int seed, int reduced_k = 0);
Cell transfer_cell(const std::string& split, char source, char target, int n, TransferMode mode, int seed,
                   const std::string& bn = "");
// The values of the bn field a cell id may carry ("" is none).
bool is_bn_choice(std::string_view bn);

// Parses an id produced by Cell::id(); std::nullopt when it is not one.
std::optional<Cell> parse_cell_id(std::string_view id);

}  // namespace xfer
