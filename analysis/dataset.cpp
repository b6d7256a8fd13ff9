// dataset.cpp: a data set's network (how far n counts, what its units are
// called) and n as the tables and figures label it.
#include <algorithm>

#include "analysis/run.h"

namespace xfer {

void Dataset::set_network(const std::string& preset) {
  const NetSpec net = net_preset(preset);
  network = preset;
  layers = net.transfer_layers();
  stages.clear();
  if (net.units_are_stages())
    for (int n = 1; n <= layers; ++n) stages.push_back(net.transfer_unit(n));
}

int max_layers(const std::vector<const Dataset*>& data) {
  int most = 0;
  for (const Dataset* d : data) most = std::max(most, d->layers);
  return most == 0 ? kMaxTransferLayer : most;
}

std::string layer_label(const std::vector<const Dataset*>& data, int n) {
  for (const Dataset* d : data)
    if (n >= 1 && size_t(n) <= d->stages.size()) return std::to_string(n) + " (" + d->stages[size_t(n) - 1] + ")";
  return std::to_string(n);
}

}  // namespace xfer
