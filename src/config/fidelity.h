// fidelity.h: the one place in the code that lists where this system
// deliberately differs from the paper's Caffe runs, each with its reason.
// `xfer_train --fidelity` prints it; the README's fidelity section mirrors it.
#pragma once

#include <string>
#include <vector>

namespace xfer {

struct Deviation {
  std::string what;  // what differs from the paper
  std::string why;   // why, and what it does (not) change
};

const std::vector<Deviation>& deviations();

}  // namespace xfer
