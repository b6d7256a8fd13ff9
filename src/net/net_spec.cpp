// net_spec.cpp: the presets. CaffeNet exactly as the paper's
// imagenet_train.prototxt; "small" keeps its shape (5 conv + 3 fc, groups,
// LRN, ceil pooling, dropout) at the size of Fashion-MNIST.
#include "net/net_spec.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace xfer {

namespace {

// Designated initialisers: every field a builder does not name keeps its default.
LayerSpec conv(const std::string& name, int idx, int out, int k, int stride, int pad, int groups,
               float std, float bias) {
  return {.name = name, .type = LayerType::Conv, .transfer_index = idx, .outputs = out, .kernel = k,
          .stride = stride, .pad = pad, .groups = groups, .relu = true, .weight_std = std,
          .bias_value = bias};
}

LayerSpec fc(const std::string& name, int idx, int out, bool relu, float std, float bias) {
  return {.name = name, .type = LayerType::InnerProduct, .transfer_index = idx, .outputs = out,
          .relu = relu, .weight_std = std, .bias_value = bias};
}

LayerSpec pool(const std::string& name, int k, int stride) {
  return {.name = name, .type = LayerType::Pool, .kernel = k, .stride = stride};
}

LayerSpec lrn(const std::string& name) { return {.name = name, .type = LayerType::Lrn}; }

LayerSpec dropout(const std::string& name) { return {.name = name, .type = LayerType::Dropout}; }

// Both presets share this order of layers; only sizes differ.
std::vector<LayerSpec> layers(int c1, int c2, int c3, int c4, int c5, int f6, int f7,
                              int k1, int s1, int p1, float fc_std) {
  return {
      conv("conv1", 1, c1, k1, s1, p1, 1, 0.01f, 0.f),  pool("pool1", 3, 2), lrn("norm1"),
      conv("conv2", 2, c2, 5, 1, 2, 2, 0.01f, 1.f),     pool("pool2", 3, 2), lrn("norm2"),
      conv("conv3", 3, c3, 3, 1, 1, 1, 0.01f, 0.f),
      conv("conv4", 4, c4, 3, 1, 1, 2, 0.01f, 1.f),
      conv("conv5", 5, c5, 3, 1, 1, 2, 0.01f, 1.f),     pool("pool5", 3, 2),
      fc("fc6", 6, f6, true, fc_std, 1.f),              dropout("drop6"),
      fc("fc7", 7, f7, true, fc_std, 1.f),              dropout("drop7"),
      fc("fc8", 8, 0, false, 0.01f, 0.f),
  };
}

// The 28x28 presets' own schedule (a grid's [solver] section sets its own).
void fashion_mnist_schedule(SolverSpec& s) {
  s.batch = 128;
  s.max_iter = 2000;
  s.lr_step = 1000;
  s.test_interval = 250;
  s.snapshot_interval = 500;
}

// ---------------------------------------------------------------------------
// Residual networks (He, Zhang, Ren and Sun, CVPR 2016), as torchvision's
// resnet.py builds them (v1.5: a Bottleneck strides on its 3x3), with its
// layer names, so that a checkpoint maps one to one onto a state_dict
// (scripts/torchvision_weights.py). Convolutions have no bias and are
// followed by a batch normalisation; torchvision's initialisation: Kaiming
// normal, fan out, for ReLU (std sqrt(2 / (out * k * k))), BatchNorm scale 1
// and shift 0. The classifier is PyTorch's nn.Linear, whose uniform
// initialisation we replace by a gaussian of the same variance (said in the
// README's fidelity list).

LayerSpec res_conv(const std::string& name, int stage, int out, int k, int stride, std::vector<std::string> in = {}) {
  const float std = std::sqrt(2.f / float(out * k * k));
  return {.name = name, .type = LayerType::Conv, .inputs = std::move(in), .transfer_index = stage, .outputs = out,
          .kernel = k, .stride = stride, .pad = k / 2, .relu = false, .bias = false, .weight_std = std};
}

LayerSpec res_bn(const std::string& name, int stage, bool relu) {
  return {.name = name, .type = LayerType::BatchNorm, .transfer_index = stage, .relu = relu, .weight_std = 0.f};
}

// One block of a stage: BasicBlock (two 3x3) or Bottleneck (1x1, 3x3, 1x1 of
// four times the width), its shortcut a strided 1x1 projection with its own
// batch normalisation where the shape changes, and the sum with its ReLU.
void add_block(std::vector<LayerSpec>& v, const std::string& name, const std::string& input, int stage, int width,
               int stride, bool bottleneck, int in_channels) {
  const int out = bottleneck ? 4 * width : width;
  const std::string p = name + ".";
  if (bottleneck) {
    v.push_back(res_conv(p + "conv1", stage, width, 1, 1, {input}));
    v.push_back(res_bn(p + "bn1", stage, true));
    v.push_back(res_conv(p + "conv2", stage, width, 3, stride));
    v.push_back(res_bn(p + "bn2", stage, true));
    v.push_back(res_conv(p + "conv3", stage, out, 1, 1));
    v.push_back(res_bn(p + "bn3", stage, false));
  } else {
    v.push_back(res_conv(p + "conv1", stage, width, 3, stride, {input}));
    v.push_back(res_bn(p + "bn1", stage, true));
    v.push_back(res_conv(p + "conv2", stage, width, 3, 1));
    v.push_back(res_bn(p + "bn2", stage, false));
  }
  std::string shortcut = input;
  const std::string main = v.back().name;
  if (stride != 1 || in_channels != out) {
    v.push_back(res_conv(p + "downsample.0", stage, out, 1, stride, {input}));
    v.push_back(res_bn(p + "downsample.1", stage, false));
    shortcut = v.back().name;
  }
  v.push_back({.name = name, .type = LayerType::Add, .inputs = {main, shortcut}, .relu = true});
}

// Stages of `blocks[s]` blocks of width widths[s], the first of each stage
// but the first strided by 2; transfer index first_stage + s. Returns the
// channels out of the last stage.
int add_stages(std::vector<LayerSpec>& v, std::string input, int in_channels, int first_stage,
               const std::vector<int>& blocks, const std::vector<int>& widths, bool bottleneck) {
  for (size_t s = 0; s < blocks.size(); ++s)
    for (int b = 0; b < blocks[s]; ++b) {
      const std::string name = "layer" + std::to_string(s + 1) + "." + std::to_string(b);
      add_block(v, name, input, first_stage + int(s), widths[s], s > 0 && b == 0 ? 2 : 1, bottleneck, in_channels);
      in_channels = bottleneck ? 4 * widths[s] : widths[s];
      input = name;
    }
  return in_channels;
}

// The classifier after the global average pool: transfer index `index`,
// never copied; Linear's variance 1 / (3 * fan_in) as a gaussian.
void add_classifier(std::vector<LayerSpec>& v, int index, int fan_in) {
  v.push_back({.name = "avgpool", .type = LayerType::GlobalAvgPool});
  const float std = 1.f / std::sqrt(3.f * float(fan_in));
  v.push_back({.name = "fc", .type = LayerType::InnerProduct, .transfer_index = index, .weight_std = std});
}

// torchvision's resnet18 / resnet50 on 224 crops of 256 images: stem (n = 1:
// conv1 7x7/2, bn1, ReLU, max pool 3x3/2 pad 1 with floor rounding), layer1..4
// (n = 2..5), avgpool and fc (6, never copied).
NetSpec imagenet_resnet(const std::string& name, const std::vector<int>& blocks, bool bottleneck) {
  NetSpec s;
  s.preset = name;
  s.channels = 3;
  s.stored_size = 256;
  s.crop = 224;
  LayerSpec stem = res_conv("conv1", 1, 64, 7, 2);
  stem.pad = 3;
  s.layers = {stem, res_bn("bn1", 1, true),
              {.name = "maxpool", .type = LayerType::Pool, .kernel = 3, .stride = 2, .pad = 1, .pool_ceil = false}};
  const int out = add_stages(s.layers, "maxpool", 64, 2, blocks, {64, 128, 256, 512}, bottleneck);
  add_classifier(s.layers, 6, out);
  s.solver = torchvision_recipe();
  return s;
}

// A residual network for 28x28 images (24 crops), CIFAR-style (He et al. 2016,
// section 4.2): a 3x3 stem of 16 (n = 1) and three stages of two basic blocks,
// 16, 32, 64 wide (n = 2..4): 24 -> 24 -> 12 -> 6, then the global pool and fc (5).
NetSpec small_resnet() {
  NetSpec s;
  s.preset = "resnet-small";
  s.channels = 1;
  s.stored_size = 28;
  s.crop = 24;
  s.layers = {res_conv("conv1", 1, 16, 3, 1), res_bn("bn1", 1, true)};
  const int out = add_stages(s.layers, "bn1", 16, 2, {2, 2, 2}, {16, 32, 64}, false);
  add_classifier(s.layers, 5, out);
  s.solver = torchvision_recipe();
  fashion_mnist_schedule(s.solver);
  s.solver.base_lr = linearly_scaled_rate(s.solver.batch);
  return s;
}

}  // namespace

int NetSpec::transfer_layers() const {
  int top = 0;
  for (const auto& l : layers) top = std::max(top, l.transfer_index);
  return top - 1;
}

std::string NetSpec::transfer_unit(int n) const {
  std::vector<const LayerSpec*> unit;
  for (const auto& l : layers)
    if (l.transfer_index == n && l.has_params()) unit.push_back(&l);
  XFER_CHECK(!unit.empty(), "network " << preset << " has no transfer unit " << n);
  if (unit.size() == 1) return unit[0]->name;
  const std::string& first = unit[0]->name;  // "layer1.0.conv1": stage "layer1"
  const size_t dot = first.find('.');
  return dot == std::string::npos ? "stem" : first.substr(0, dot);
}

bool NetSpec::units_are_stages() const {
  for (int n = 1; n <= transfer_layers(); ++n) {
    int params = 0;
    for (const auto& l : layers) params += l.transfer_index == n && l.has_params();
    if (params > 1) return true;
  }
  return false;
}

bool NetSpec::has_batch_norm() const {
  return std::any_of(layers.begin(), layers.end(), [](const LayerSpec& l) { return l.type == LayerType::BatchNorm; });
}

std::vector<const LayerSpec*> NetSpec::param_layers() const {
  std::vector<const LayerSpec*> v;
  for (const auto& l : layers)
    if (l.has_params()) v.push_back(&l);
  return v;
}

std::vector<std::string> net_presets() { return {"caffenet", "small", "resnet18", "resnet50", "resnet-small"}; }

SolverSpec torchvision_recipe() {
  SolverSpec s;
  s.base_lr = 0.1;
  s.gamma = 0.1;
  s.momentum = 0.9;
  s.weight_decay = 1e-4;
  s.batch = 256;
  // 90 epochs of ImageNet's 1.28 M images at 256, the rate dropped 10x every 30.
  s.max_iter = 450000;
  s.lr_step = 150000;
  s.bias_lr_mult = s.weight_lr_mult = 1;  // every parameter alike, BatchNorm's included
  s.bias_decay_mult = s.weight_decay_mult = 1;
  return s;
}

double linearly_scaled_rate(int batch) {
  const SolverSpec recipe = torchvision_recipe();
  return recipe.base_lr * double(batch) / double(recipe.batch);
}

NetSpec net_preset(const std::string& name) {
  NetSpec s;
  s.preset = name;
  if (name == "caffenet") {
    s.channels = 3;
    s.stored_size = 256;
    s.crop = 227;
    s.layers = layers(96, 256, 384, 384, 256, 4096, 4096, 11, 4, 0, 0.005f);
    return s;  // the solver defaults are the paper's
  }
  if (name == "small") {
    // 28x28 Fashion-MNIST, 24x24 crops: 24 -conv1-> 24 -pool-> 12 -pool-> 6 -pool-> 3.
    s.channels = 1;
    s.stored_size = 28;
    s.crop = 24;
    s.layers = layers(32, 64, 96, 96, 64, 256, 256, 3, 1, 1, 0.01f);
    // The first conv sees 9 inputs per filter, not 363: a larger std keeps
    // the signal from vanishing through five gaussian-initialised layers.
    for (auto& l : s.layers)
      if (l.type == LayerType::Conv) l.weight_std = 0.05f;
    s.solver.base_lr = 0.01;
    fashion_mnist_schedule(s.solver);
    return s;
  }
  if (name == "resnet18") return imagenet_resnet(name, {2, 2, 2, 2}, false);
  if (name == "resnet50") return imagenet_resnet(name, {3, 4, 6, 3}, true);
  if (name == "resnet-small") return small_resnet();
  XFER_FAIL("unknown network preset '" << name << "' (known: caffenet, small, resnet18, resnet50, resnet-small)");
}

}  // namespace xfer
