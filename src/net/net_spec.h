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
  // How many transfer units can be copied: every transfer index below the
  // classifier's (7 for CaffeNet's conv1..fc7; 5 for a ResNet's stem and four stages).
  int transfer_layers() const;
  // The name of transfer unit n: its layer where the unit is one (CaffeNet's
  // "conv1".."fc7"), else its stage ("stem", "layer1".."layer4").
  std::string transfer_unit(int n) const;
  // Whether a unit is a stage of several layers (a ResNet), not one layer.
  bool units_are_stages() const;
  bool has_batch_norm() const;
};

// "caffenet", "small", "resnet18", "resnet50" or "resnet-small"; throws with
// the list of presets otherwise.
NetSpec net_preset(const std::string& name);
std::vector<std::string> net_presets();
// torchvision's reference recipe for residual networks: SGD, momentum 0.9,
// weight decay 1e-4 on every parameter, rate 0.1 dropped 10x every 30 epochs
// of 90, batch 256; no per-parameter multipliers (Caffe's are CaffeNet's).
SolverSpec torchvision_recipe();
// The recipe's rate at another batch: 0.1 x batch / 256, the linear scaling
// rule (Goyal et al., "Accurate, Large Minibatch SGD", 2017, section 2.1),
// which torchvision's reference scripts also follow. At 4 times this rate,
// fine-tuning every stage of resnet-small with frozen batch normalisation
// diverges within a few steps (measured: top-1 0.19 at 0.1, 0.93 at 0.02).
double linearly_scaled_rate(int batch);

// The number of the top parameter layer of CaffeNet that can be transferred
// (7): the grid and the analysis of CaffeNet-shaped studies count n to it.
constexpr int kMaxTransferLayer = 7;

}  // namespace xfer
