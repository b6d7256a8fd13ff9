// transfer_mode.cpp: the names of the transfer modes (transfer_mode.h).
#include "config/transfer_mode.h"

namespace xfer {

const char* to_string(TransferMode m) {
  switch (m) {
    case TransferMode::None: return "none";
    case TransferMode::Frozen: return "frozen";
    case TransferMode::Finetune: return "finetune";
    case TransferMode::Random: return "random";
    case TransferMode::Continue: return "continue";
  }
  return "?";
}

std::optional<TransferMode> parse_transfer_mode(std::string_view s) {
  for (TransferMode m : {TransferMode::None, TransferMode::Frozen, TransferMode::Finetune, TransferMode::Random,
                         TransferMode::Continue})
    if (s == to_string(m)) return m;
  return std::nullopt;
}

}  // namespace xfer
