// grad_check.h: a finite-difference gradient checker for one layer, as
// Caffe's: the loss is sum(y * r) for a fixed random r, so dL/dy = r, and
// every analytic gradient (input, weights, bias) is compared with central
// differences of that loss.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "backend/tensor.h"
#include "core/rng.h"
#include "layers/layer.h"

namespace xfer::testing {

struct GradCheckOptions {
  float eps = 1e-2f;
  float tol = 2e-2f;  // relative to max(|analytic|, |numeric|, min_scale)
  float min_scale = 1e-2f;  // floor of the scale, for float noise on tiny gradients
  int max_checks = 200;  // elements probed per tensor
  PassContext ctx{true, 7, 3};
};

class LayerHarness {
 public:
  LayerHarness(Backend& be, std::unique_ptr<Layer> layer, const Shape& in, uint64_t seed)
      : be_(be), layer_(std::move(layer)), x_(be, in) {
    Shape out = layer_->plan(in);
    layer_->setup(be);
    y_ = Tensor(be, out);
    dy_ = Tensor(be, out);
    dx_ = Tensor(be, in);
    Rng rng(seed);
    auto fill = [&](Tensor& t, float std) {
      std::vector<float> v(t.count());
      for (auto& e : v) e = rng.gaussian(0.f, std);
      t.from_host(v);
    };
    fill(x_, 1.f);
    Shape ws = layer_->weight_shape(), bs = layer_->bias_shape();
    if (ws.count()) {
      w_ = Tensor(be, ws);
      b_ = Tensor(be, bs);
      dw_ = Tensor(be, ws);
      db_ = Tensor(be, bs);
      fill(w_, 0.3f);
      fill(b_, 0.3f);
      layer_->bind_params(Tensor::view(be, w_.data(), ws), Tensor::view(be, b_.data(), bs),
                          Tensor::view(be, dw_.data(), ws), Tensor::view(be, db_.data(), bs));
    }
    // Buffers (BatchNorm's running statistics): spread away from the initial
    // 0 and 1, so that using them is distinguishable from not.
    const std::vector<float> init = layer_->initial_buffers();
    if (!init.empty()) {
      buf_ = Tensor(be, Shape(int64_t(init.size())));
      std::vector<float> v(init.size());
      for (size_t i = 0; i < v.size(); ++i) v[i] = i < v.size() / 2 ? rng.gaussian(0.f, 0.5f) : 0.5f + rng.uniform();
      buf_.from_host(v);
      layer_->bind_buffers(Tensor::view(be, buf_.data(), buf_.shape()));
    }
    r_.resize(out.count());
    for (auto& e : r_) e = rng.gaussian(0.f, 1.f);
  }

  double loss(const PassContext& ctx) {
    layer_->forward(x_, y_, ctx);
    auto y = y_.to_host();
    double s = 0;
    for (size_t i = 0; i < y.size(); ++i) s += double(y[i]) * r_[i];
    return s;
  }

  // Runs forward+backward, then probes `t` (x, w or b) against `grad`.
  void check(Tensor& t, Tensor& grad, const char* what, const GradCheckOptions& o) {
    loss(o.ctx);
    dy_.from_host(r_);
    layer_->backward(x_, y_, dy_, &dx_, true);
    auto analytic = grad.to_host();
    auto values = t.to_host();
    const size_t n = values.size();
    const size_t stride = std::max<size_t>(1, n / o.max_checks);
    int failures = 0;
    for (size_t i = 0; i < n; i += stride) {
      const float v = values[i];
      values[i] = v + o.eps;
      t.from_host(values);
      double lp = loss(o.ctx);
      values[i] = v - o.eps;
      t.from_host(values);
      double lm = loss(o.ctx);
      values[i] = v;
      t.from_host(values);
      double numeric = (lp - lm) / (2 * o.eps);
      double a = analytic[i];
      double scale = std::max({std::fabs(a), std::fabs(numeric), double(o.min_scale)});
      if (std::fabs(a - numeric) / scale > o.tol) {
        if (++failures <= 5)
          ADD_FAILURE() << layer_->name() << " d/d" << what << "[" << i << "]: analytic " << a
                        << " numeric " << numeric;
      }
    }
    EXPECT_EQ(failures, 0) << layer_->name() << ": " << failures << " mismatches in d/d" << what;
  }

  void check_x(const GradCheckOptions& o = {}) { check(x_, dx_, "x", o); }

  void check_all(const GradCheckOptions& o = {}) {
    check(x_, dx_, "x", o);
    if (!w_.empty()) {
      check(w_, dw_, "w", o);
      check(b_, db_, "b", o);
    }
  }

  Tensor& x() { return x_; }
  Tensor& y() { return y_; }
  Layer& layer() { return *layer_; }

 private:
  Backend& be_;
  std::unique_ptr<Layer> layer_;
  Tensor x_, y_, dy_, dx_, w_, b_, dw_, db_, buf_;
  std::vector<float> r_;
};

}  // namespace xfer::testing
