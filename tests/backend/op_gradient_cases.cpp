// op_gradient_cases.cpp: the op cases that check each layer's gradients by
// finite differences (grad_check.h, as Caffe's checker) on every backend:
// conv with groups and padding, pooling with ceil rounding, LRN, inner
// product, the fused ReLU, dropout with a fixed mask, the softmax loss.
#include <gtest/gtest.h>

#include "core/rng.h"
#include "grad_check.h"
#include "op_cases.h"

namespace xfer::testing {

namespace {

// (A function, not a namespace-scope constant: the list is made while the
// tests are registered, before other files' constants may be.)
std::vector<std::string> conv_methods() {
  return {"Backend::make_conv", "WeightedOp::forward", "WeightedOp::backward_data",
          "WeightedOp::backward_weights"};
}

void conv_grouped_padded(Backend& be) {
  LayerHarness h(be,
                 make_layer({.name = "conv", .type = LayerType::Conv, .transfer_index = 1,
                             .outputs = 6, .kernel = 3, .stride = 1, .pad = 1, .groups = 2}),
                 Shape(2, 4, 7, 7), 1);
  h.check_all();
}

void conv_strided_relu(Backend& be) {
  LayerHarness h(be,
                 make_layer({.name = "conv", .type = LayerType::Conv, .transfer_index = 1,
                             .outputs = 4, .kernel = 5, .stride = 2, .pad = 2, .relu = true}),
                 Shape(2, 3, 9, 9), 2);
  // An eps small enough that few pre-activations cross zero leaves float
  // noise near 5e-4: hence the larger floor of the scale.
  h.check_all({.eps = 1e-3f, .tol = 3e-2f, .min_scale = 5e-2f});
}

void max_pool_ceil(Backend& be) {
  // 8 -> ceil(5/2)+1 = 4 (floor rounding would give 3).
  LayerHarness h(be,
                 make_layer({.name = "pool", .type = LayerType::Pool, .kernel = 3, .stride = 2}),
                 Shape(2, 3, 8, 8), 3);
  EXPECT_EQ(h.y().shape(), Shape(2, 3, 4, 4));
  h.check_all({.eps = 1e-3f});
}

void lrn(Backend& be) {
  // alpha large enough that the normalisation matters
  LayerHarness h(be, make_layer({.name = "norm", .type = LayerType::Lrn, .lrn_alpha = 0.5f}),
                 Shape(2, 7, 4, 4), 4);
  h.check_all();
}

void inner_product_spatial_relu(Backend& be) {
  LayerHarness h(be,
                 make_layer({.name = "fc", .type = LayerType::InnerProduct, .transfer_index = 6,
                             .outputs = 5, .relu = true}),
                 Shape(3, 4, 2, 2), 5);
  h.check_all({.eps = 1e-3f, .tol = 3e-2f});
}

void dropout_fixed_mask(Backend& be) {
  LayerHarness h(be, make_layer({.name = "drop", .type = LayerType::Dropout}), Shape(4, 16), 6);
  h.check_all();  // the same (seed, step) gives the same mask every forward
  // About half the units are dropped, the rest scaled by 2.
  h.loss(PassContext{true, 7, 3});
  auto x = h.x().to_host(), y = h.y().to_host();
  int dropped = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] == 0.f) ++dropped;
    else EXPECT_FLOAT_EQ(y[i], 2.f * x[i]);
  }
  EXPECT_GT(dropped, 16);
  EXPECT_LT(dropped, 48);
  // Test time is the identity.
  h.loss(PassContext{false, 7, 3});
  EXPECT_EQ(h.y().to_host(), x);
}

void softmax_loss(Backend& be) {
  const int n = 4, k = 7;
  Rng rng(9);
  std::vector<float> z(n * k);
  for (auto& e : z) e = rng.gaussian(0.f, 2.f);
  std::vector<int32_t> labels{0, 3, 6, 2};
  Tensor logits(be, Shape(n, k)), grad(be, Shape(n, k));
  logits.from_host(z);
  be.softmax_loss_backward(logits.data(), labels.data(), n, n, k, 1.f, grad.data());
  auto g = grad.to_host();
  const float eps = 1e-2f;
  for (int i = 0; i < n * k; ++i) {
    auto zp = z, zm = z;
    zp[i] += eps;
    zm[i] -= eps;
    logits.from_host(zp);
    double lp = be.softmax_loss(logits.data(), labels.data(), n, n, k).loss_sum;
    logits.from_host(zm);
    double lm = be.softmax_loss(logits.data(), labels.data(), n, n, k).loss_sum;
    EXPECT_NEAR(g[i], (lp - lm) / (2 * eps), 2e-3) << "logit " << i;
  }
  // Rows past `valid` are neither scored nor given gradients.
  logits.from_host(z);
  LossStats st = be.softmax_loss(logits.data(), labels.data(), n, 2, k);
  EXPECT_EQ(st.count, 2);
  be.softmax_loss_backward(logits.data(), labels.data(), n, 2, k, 1.f, grad.data());
  auto g2 = grad.to_host();
  for (int i = 2 * k; i < n * k; ++i) EXPECT_EQ(g2[i], 0.f);
}

// Batch normalisation in its three behaviours. train: the batch statistics
// own gradients flow into dx (the mean and variance depend on every x);
// eval: the running statistics are constants and the scale and shift train;
// frozen: the same dx as eval, and no gradient asked for the scale and shift.
LayerSpec batch_norm_spec(bool relu) {
  return {.name = "bn", .type = LayerType::BatchNorm, .transfer_index = 1, .relu = relu, .weight_std = 0.f};
}

void batch_norm_train(Backend& be) {
  LayerHarness h(be, make_layer(batch_norm_spec(false)), Shape(4, 3, 5, 3), 11);
  h.check_all();
  // With the ReLU after it: a smaller step, since shifting a whole channel
  // moves the outputs that lie within the step of zero across the kink.
  LayerHarness r(be, make_layer(batch_norm_spec(true)), Shape(4, 3, 5, 3), 13);
  r.check_all({.eps = 1e-3f, .tol = 3e-2f});
}

void batch_norm_eval_and_frozen(Backend& be) {
  for (BnMode mode : {BnMode::Eval, BnMode::Frozen}) {
    auto layer = make_layer(batch_norm_spec(false));
    layer->set_bn_mode(mode);
    LayerHarness h(be, std::move(layer), Shape(3, 4, 3, 5), 12);
    if (mode == BnMode::Eval) {
      h.check_all();
      continue;
    }
    const std::vector<float> stats = h.layer().buffers().to_host();
    h.check_x();
    EXPECT_EQ(h.layer().buffers().to_host(), stats) << "a frozen batch normalisation moved its statistics";
  }
}

// ResNet's pools: the stem's max pool with floor rounding, the global average.
void resnet_pools(Backend& be) {
  LayerHarness m(be,
                 make_layer({.name = "pool", .type = LayerType::Pool, .kernel = 3, .stride = 2, .pad = 1,
                             .pool_ceil = false}),
                 Shape(2, 3, 8, 8), 14);
  EXPECT_EQ(m.y().shape(), Shape(2, 3, 4, 4));
  m.check_all({.eps = 1e-3f});  // a step under the gaps between a window's values
  LayerHarness g(be, make_layer({.name = "avgpool", .type = LayerType::GlobalAvgPool}), Shape(2, 5, 4, 4), 15);
  EXPECT_EQ(g.y().shape(), Shape(2, 5, 1, 1));
  g.check_all();
}

std::vector<std::string> plus(std::vector<std::string> v, const char* more) {
  v.push_back(more);
  return v;
}

}  // namespace

std::vector<OpCase> gradient_cases() {
  return {
      {.name = "gradients_conv_grouped_padded", .covers = conv_methods(), .check = conv_grouped_padded},
      {.name = "gradients_conv_strided_fused_relu",
       .covers = plus(conv_methods(), "Backend::relu_backward"),
       .check = conv_strided_relu},
      {.name = "gradients_max_pool_ceil_rounding",
       .covers = {"Backend::make_pool", "PoolOp::forward", "PoolOp::backward"},
       .check = max_pool_ceil},
      {.name = "gradients_lrn",
       .covers = {"Backend::make_lrn", "LrnOp::forward", "LrnOp::backward"},
       .check = lrn},
      {.name = "gradients_inner_product_spatial_fused_relu",
       .covers = {"Backend::make_inner_product", "WeightedOp::forward",
                  "WeightedOp::backward_data", "WeightedOp::backward_weights",
                  "Backend::relu_backward"},
       .check = inner_product_spatial_relu},
      {.name = "gradients_dropout_fixed_mask",
       .covers = {"Backend::dropout_forward", "Backend::multiply", "Backend::copy"},
       .check = dropout_fixed_mask},
      {.name = "gradients_batch_norm_train_fused_relu",
       .covers = {"Backend::make_batch_norm", "BatchNormOp::forward_batch", "BatchNormOp::backward_batch",
                  "Backend::relu", "Backend::relu_backward"},
       .check = batch_norm_train},
      {.name = "gradients_batch_norm_eval_and_frozen",
       .covers = {"Backend::make_batch_norm", "BatchNormOp::forward_global", "BatchNormOp::backward_global"},
       .check = batch_norm_eval_and_frozen},
      {.name = "gradients_resnet_pools",
       .covers = {"Backend::make_pool", "PoolOp::forward", "PoolOp::backward"},
       .check = resnet_pools},
      {.name = "gradients_softmax_loss",
       .covers = {"Backend::softmax_loss", "Backend::softmax_loss_backward"},
       .check = softmax_loss},
  };
}

}  // namespace xfer::testing
