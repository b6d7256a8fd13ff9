// net_spec.h: the one place that describes the networks. A network is a
// list of layers with their hyper-parameters and fillers; presets give the
// paper's CaffeNet and a small net of the same shape for 28x28 grayscale
// input. Layer numbering for transfer: the parameter layers conv1..conv5 are
// 1..5, fc6 is 6, fc7 is 7, fc8 (8) is never copied.
#pragma once

#include <string>
#include <vector>

#include "solver/solver_spec.h"

namespace xfer {

enum class LayerType { Conv, InnerProduct, Pool, Lrn, Dropout };

struct LayerSpec {
  std::string name;
  LayerType type = LayerType::Conv;
  int transfer_index = 0;  // 1..8 for parameter layers, 0 otherwise
  // Conv / inner product.
  int outputs = 0;          // 0 for fc8: the number of classes (or --fc8-outputs)
  int kernel = 0, stride = 1, pad = 0, groups = 1;
  bool relu = false;        // ReLU fused onto the output
  float weight_std = 0.01f, bias_value = 0.f;  // gaussian / constant fillers
  // Pooling (max, ceil rounding): kernel/stride/pad above.
  // LRN across channels.
  int lrn_size = 5;
  float lrn_alpha = 1e-4f, lrn_beta = 0.75f, lrn_k = 1.f;
  // Dropout.
  float dropout_ratio = 0.5f;
  bool has_params() const { return type == LayerType::Conv || type == LayerType::InnerProduct; }
};

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
