// batch_norm_layer.cpp: batch normalisation with an optional ReLU after it,
// in the three behaviours of layer_spec.h. Its parameters are the scale
// (weights) and the shift (bias); its buffers the running mean then the
// running variance, [2, C].
#include "core/check.h"
#include "layers/layer_impl.h"

namespace xfer {

namespace {

class BatchNormLayer final : public Layer {
 public:
  using Layer::Layer;

  Shape plan(const Shape& in) override {
    d_ = BatchNormDesc{.n = shape_dim(in.n(), name(), "batch"), .c = shape_dim(in.c(), name(), "channels"),
                       .h = shape_dim(in.h(), name(), "height"), .w = shape_dim(in.w(), name(), "width"),
                       .eps = spec_.bn_eps, .momentum = spec_.bn_momentum, .relu = spec_.relu};
    return in;
  }
  void setup(Backend& be) override {
    be_ = &be;
    op_ = be.make_batch_norm(d_);
  }
  Shape weight_shape() const override { return Shape(d_.c); }
  Shape bias_shape() const override { return Shape(d_.c); }
  std::vector<float> initial_buffers() const override {
    std::vector<float> v(2 * size_t(d_.c), 1.f);  // PyTorch's: mean 0, variance 1
    std::fill(v.begin(), v.begin() + d_.c, 0.f);
    return v;
  }
  void set_bn_mode(BnMode m) override { mode_ = m; }
  bool updates_buffers() const override { return mode_ == BnMode::Train; }

  void forward(const Tensor& x, Tensor& y, const PassContext& ctx) override {
    batch_stats_ = ctx.train && mode_ == BnMode::Train;
    if (batch_stats_)
      op_->forward_batch(x.data(), w_.data(), b_.data(), mean(), var(), y.data(), true);
    else
      op_->forward_global(x.data(), w_.data(), b_.data(), mean(), var(), y.data());
    if (spec_.relu && !op_->fuses_relu()) be_->relu(y.data(), y.count());
  }

  // Backward of the last forward, whichever statistics it used. A frozen
  // layer is asked for no parameter gradient (need_param_grad false).
  void backward(const Tensor& x, const Tensor& y, Tensor& dy, Tensor* dx, bool need_param_grad) override {
    if (spec_.relu && !op_->fuses_relu()) be_->relu_backward(y.data(), dy.data(), dy.count());
    float* dscale = need_param_grad ? dw_.data() : nullptr;
    float* dshift = need_param_grad ? db_.data() : nullptr;
    float* dxp = dx ? dx->data() : nullptr;
    if (!dxp && !dscale) return;
    if (batch_stats_)
      op_->backward_batch(x.data(), dy.data(), w_.data(), dxp, dscale, dshift);
    else
      op_->backward_global(x.data(), dy.data(), w_.data(), mean(), var(), dxp, dscale, dshift);
  }

 private:
  float* mean() { return buf_.data(); }
  float* var() { return buf_.data() + d_.c; }

  BatchNormDesc d_;
  Backend* be_ = nullptr;
  std::unique_ptr<BatchNormOp> op_;
  BnMode mode_ = BnMode::Train;
  bool batch_stats_ = false;
};

}  // namespace

std::unique_ptr<Layer> make_batch_norm_layer(const LayerSpec& s) { return std::make_unique<BatchNormLayer>(s); }

}  // namespace xfer
