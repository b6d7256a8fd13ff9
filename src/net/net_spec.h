// net_spec.h: the one place that describes the networks. A network is a
// list of layers with their hyper-parameters and fillers; presets give the
// paper's CaffeNet and a small net of the same shape for 28x28 grayscale
// input. Layer numbering for transfer: the parameter layers conv1..conv5 are
// 1..5, fc6 is 6, fc7 is 7, fc8 (8) is never copied.
#pragma once

#include <string>
#include <vector>

#include "layers/layer_spec.h"

namespace xfer {

// The solver's defaults for a preset (the paper's imagenet_solver.prototxt for caffenet).
struct SolverSpec {
  double base_lr = 0.01;
  double gamma = 0.1;
  int lr_step = 100000;
  int max_iter = 450000;
  double momentum = 0.9;
  double weight_decay = 0.0005;
  int batch = 256;
  int test_interval = 1000;
  // The first iteration tested (then every test_interval, and always the
  // last). 0: from the start, as the paper did; later keeps the paper's
  // statistic, the mean of the 10 best tests, on the converged end of a run
  // that has far fewer tests than the paper's 450.
  int test_start = 0;
  int snapshot_interval = 10000;
  double weight_lr_mult = 1, weight_decay_mult = 1;  // Caffe's per-parameter multipliers
  double bias_lr_mult = 2, bias_decay_mult = 0;
};

struct NetSpec {
  std::string preset;
  int channels = 3;
  int stored_size = 256;  // images as stored in the shards
  int crop = 227;         // network input side (random crop in training, centre in test)
  std::vector<LayerSpec> layers;
  SolverSpec solver;

  // Parameter layers in order (conv1..fc8).
  std::vector<const LayerSpec*> param_layers() const;
};

// "caffenet" or "small"; throws with the list of presets otherwise.
NetSpec net_preset(const std::string& name);
std::vector<std::string> net_presets();

// The number of the top parameter layer that can be transferred (7).
constexpr int kMaxTransferLayer = 7;

}  // namespace xfer
