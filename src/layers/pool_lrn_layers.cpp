// pool_lrn_layers.cpp: max pooling (ceil rounding) and across-channel LRN.
// Their ops keep what backward needs from the last training forward.
#include "layers/layer_impl.h"

namespace xfer {

namespace {

class PoolLayer final : public Layer {
 public:
  using Layer::Layer;

  Shape setup(Backend& be, const Shape& in) override {
    const PoolDesc d{.n = in.n(), .c = in.c(), .h = in.h(), .w = in.w(), .kernel = spec_.kernel,
                     .stride = spec_.stride, .pad = spec_.pad};
    op_ = be.make_pool(d);
    return Shape(d.n, d.c, d.out_h(), d.out_w());
  }

  void forward(const Tensor& x, Tensor& y, const PassContext& ctx) override {
    op_->forward(x.data(), y.data(), ctx.train);
  }

  // The argmax of the last training forward routes dy; x is not needed.
  void backward(const Tensor&, const Tensor&, Tensor& dy, Tensor* dx, bool) override {
    if (dx) op_->backward(dy.data(), dx->data());
  }

 private:
  std::unique_ptr<PoolOp> op_;
};

class LrnLayer final : public Layer {
 public:
  using Layer::Layer;

  Shape setup(Backend& be, const Shape& in) override {
    op_ = be.make_lrn(LrnDesc{.n = in.n(), .c = in.c(), .h = in.h(), .w = in.w(),
                              .size = spec_.lrn_size, .alpha = spec_.lrn_alpha,
                              .beta = spec_.lrn_beta, .k = spec_.lrn_k});
    return in;
  }

  void forward(const Tensor& x, Tensor& y, const PassContext& ctx) override {
    op_->forward(x.data(), y.data(), ctx.train);
  }

  void backward(const Tensor& x, const Tensor&, Tensor& dy, Tensor* dx, bool) override {
    if (dx) op_->backward(x.data(), dy.data(), dx->data());
  }

 private:
  std::unique_ptr<LrnOp> op_;
};

}  // namespace

std::unique_ptr<Layer> make_pool_layer(const LayerSpec& s) { return std::make_unique<PoolLayer>(s); }
std::unique_ptr<Layer> make_lrn_layer(const LayerSpec& s) { return std::make_unique<LrnLayer>(s); }

}  // namespace xfer
