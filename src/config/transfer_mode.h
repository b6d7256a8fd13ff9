// transfer_mode.h: what a run does with layers 1..n, one enum for the
// trainer's --transfer-mode, the grid's cells and their ids, with the one
// pair of functions that print and parse its names.
#pragma once

#include <optional>
#include <string_view>

namespace xfer {

// None: no transfer. Frozen / Finetune: layers 1..n copied from a base, then
// kept fixed / trained on. Random: layers 1..n left at their random
// initialisation and kept fixed. Continue: every layer, fc8 included, copied
// from a base and trained on with the schedule started again (a base trained
// twice, the reference of a selffer whose copied layers were; no n).
enum class TransferMode { None, Frozen, Finetune, Random, Continue };

// "none", "frozen", "finetune", "random", "continue".
const char* to_string(TransferMode m);
// The inverse of to_string(); std::nullopt for any other text.
std::optional<TransferMode> parse_transfer_mode(std::string_view s);

// Whether layers come from a base checkpoint (frozen, finetune: 1..n;
// continue: all of them).
inline bool copies_layers(TransferMode m) {
  return m == TransferMode::Frozen || m == TransferMode::Finetune || m == TransferMode::Continue;
}
// Whether the mode acts on layers 1..n and so needs --transfer-n (all but none and continue).
inline bool takes_layer_count(TransferMode m) { return m != TransferMode::None && m != TransferMode::Continue; }
// Whether layers 1..n are kept fixed while training (frozen, random).
inline bool freezes_layers(TransferMode m) { return m == TransferMode::Frozen || m == TransferMode::Random; }

}  // namespace xfer
