// net_spec.h: the one place that describes the networks. A network is a
// list of layers with their hyper-parameters and fillers; presets give the
// paper's CaffeNet and a small net of the same shape for 28x28 grayscale
// input. Layer numbering for transfer: the parameter layers conv1..conv5 are
// 1..5, fc6 is 6, fc7 is 7, fc8 (8) is never copied.
#pragma once

#include <string>
#include <vector>

#include "layers/layer_spec.h"
#include "solver/solver_spec.h"

namespace xfer {

struct NetSpec {
  std::string preset;
  int channels = 3;
  int stored_size = 256;  // images as stored in the shards
  int crop = 227;         // network input side (random crop in training, centre in test)
  std::vector<LayerSpec> layers;
  SolverSpec solver;  // the preset's solver defaults

  // Parameter layers in order (conv1..fc8).
  std::vector<const LayerSpec*> param_layers() const;
};

// "caffenet" or "small"; throws with the list of presets otherwise.
NetSpec net_preset(const std::string& name);
std::vector<std::string> net_presets();

// The number of the top parameter layer that can be transferred (7).
constexpr int kMaxTransferLayer = 7;

}  // namespace xfer
