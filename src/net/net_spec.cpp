// net_spec.cpp: the presets. CaffeNet exactly as the paper's
// imagenet_train.prototxt; "small" keeps its shape (5 conv + 3 fc, groups,
// LRN, ceil pooling, dropout) at the size of Fashion-MNIST.
#include "net/net_spec.h"

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

}  // namespace

std::vector<const LayerSpec*> NetSpec::param_layers() const {
  std::vector<const LayerSpec*> v;
  for (const auto& l : layers)
    if (l.has_params()) v.push_back(&l);
  return v;
}

std::vector<std::string> net_presets() { return {"caffenet", "small"}; }

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
    s.solver.batch = 128;
    s.solver.max_iter = 2000;
    s.solver.lr_step = 1000;
    s.solver.test_interval = 250;
    s.solver.snapshot_interval = 500;
    return s;
  }
  XFER_FAIL("unknown network preset '" << name << "' (known: caffenet, small)");
}

}  // namespace xfer
