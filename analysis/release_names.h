// release_names.h: the names of the paper's networks in its public release
// (yosinski/convnet_transfer) and the cells of our grid they correspond to.
// This is the one place that mapping lives.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace xfer {

// "half0A" -> "half0-A-base", "transfer-ft1A1B_1_3" -> "half1-AB-n3-finetune",
// "reduced-0025" -> "all-base-k25", ... ; std::nullopt for a name that is not
// one of the release's.
std::optional<std::string> cell_id_for_release_net(const std::string& net);

// The cells the paper trained (its grid, whether or not the release has a log
// for each): the half and dissimilar bases, the 1000-class base, frozen
// transfers AA/AB/BA on splits 0-3, fine-tuned ones on splits 0-1, the
// natural/man-made transfers, random filters and reduced volumes.
std::vector<std::string> paper_grid_cell_ids();

}  // namespace xfer
