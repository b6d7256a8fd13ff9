// layer_spec.h: what describes one layer: its kind, its hyper-parameters and
// its fillers. The layers are made from it; the network presets
// (net/net_spec.h) are lists of it. Transfer numbering: the parameter layers
// conv1..conv5 are 1..5, fc6 is 6, fc7 is 7, fc8 (8) is never copied.
#pragma once

#include <string>
#include <vector>

namespace xfer {

enum class LayerType { Conv, InnerProduct, Pool, Lrn, Dropout, BatchNorm, Add, GlobalAvgPool };

// How a batch normalisation behaves in training (at test time every one uses
// its running statistics):
//   train   batch statistics, running estimates updated (PyTorch's train())
//   eval    running statistics, scale and shift trained (PyTorch's eval())
//   frozen  running statistics, scale and shift fixed, no gradient to them
//           (torchvision's FrozenBatchNorm2d)
enum class BnMode { Train, Eval, Frozen };
const char* bn_mode_name(BnMode m);
BnMode parse_bn_mode(const std::string& s);  // throws naming the three

struct LayerSpec {
  std::string name;
  LayerType type = LayerType::Conv;
  // The layers whose outputs it takes, by name; empty: the layer before it
  // (the network's input for the first). A residual sum names two.
  std::vector<std::string> inputs{};
  int transfer_index = 0;  // 1..8 for parameter layers, 0 otherwise
  // Conv / inner product.
  int outputs = 0;          // 0 for fc8: the number of classes (or --fc8-outputs)
  int kernel = 0, stride = 1, pad = 0, groups = 1;
  bool relu = false;        // ReLU fused onto the output
  bool bias = true;         // conv: false for one followed by a batch normalisation (ResNet's)
  float weight_std = 0.01f, bias_value = 0.f;  // gaussian / constant fillers
  // Pooling (max): kernel/stride/pad above; Caffe's ceil rounding of the
  // output size, or PyTorch's floor. A global average pool takes none.
  bool pool_ceil = true;
  // LRN across channels.
  int lrn_size = 5;
  float lrn_alpha = 1e-4f, lrn_beta = 0.75f, lrn_k = 1.f;
  // Dropout.
  float dropout_ratio = 0.5f;
  // Batch normalisation (relu above: fused after it). Its scale starts at
  // weight_value (weight_std 0), its shift at bias_value.
  float bn_eps = 1e-5f, bn_momentum = 0.1f;
  float weight_value = 1.f;
  bool has_params() const {
    return type == LayerType::Conv || type == LayerType::InnerProduct || type == LayerType::BatchNorm;
  }
};

}  // namespace xfer
