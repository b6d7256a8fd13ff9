// pool_lrn_layers.cpp: max pooling (ceil rounding) and across-channel LRN.
// Their ops keep what backward needs from the last training forward.
#include "core/check.h"
#include "layers/layer_impl.h"

namespace xfer {

namespace {

class PoolLayer final : public Layer {
 public:
  using Layer::Layer;

  Shape plan(const Shape& in) override {
    d_ = PoolDesc{.n = shape_dim(in.n(), name(), "batch"), .c = shape_dim(in.c(), name(), "channels"),
                  .h = shape_dim(in.h(), name(), "height"), .w = shape_dim(in.w(), name(), "width"),
                  .kernel = spec_.kernel, .stride = spec_.stride, .pad = spec_.pad, .ceil = spec_.pool_ceil};
    if (spec_.type == LayerType::GlobalAvgPool) {
      XFER_CHECK(d_.h == d_.w, "layer " << name() << ": a global average pool of a " << d_.h << "x" << d_.w
                                        << " plane (square planes only)");
      d_.kernel = d_.h;
      d_.stride = 1;
      d_.pad = 0;
      d_.average = true;
    }
    XFER_CHECK(d_.kernel > 0 && d_.out_h() > 0 && d_.out_w() > 0,
               "layer " << name() << ": pooling " << in.str() << " with kernel " << d_.kernel << " has no output");
    return Shape(d_.n, d_.c, d_.out_h(), d_.out_w());
  }

  void setup(Backend& be) override { op_ = be.make_pool(d_); }

  void forward(const Tensor& x, Tensor& y, const PassContext& ctx) override {
    op_->forward(x.data(), y.data(), ctx.train);
  }

  // The argmax of the last training forward routes dy; x is not needed.
  void backward(const Tensor&, const Tensor&, Tensor& dy, Tensor* dx, bool) override {
    if (dx) op_->backward(dy.data(), dx->data());
  }

 private:
  PoolDesc d_;
  std::unique_ptr<PoolOp> op_;
};

class LrnLayer final : public Layer {
 public:
  using Layer::Layer;

  Shape plan(const Shape& in) override {
    d_ = LrnDesc{.n = shape_dim(in.n(), name(), "batch"), .c = shape_dim(in.c(), name(), "channels"),
                 .h = shape_dim(in.h(), name(), "height"), .w = shape_dim(in.w(), name(), "width"),
                 .size = spec_.lrn_size, .alpha = spec_.lrn_alpha, .beta = spec_.lrn_beta, .k = spec_.lrn_k};
    return in;
  }

  void setup(Backend& be) override { op_ = be.make_lrn(d_); }

  void forward(const Tensor& x, Tensor& y, const PassContext& ctx) override {
    op_->forward(x.data(), y.data(), ctx.train);
  }

  void backward(const Tensor& x, const Tensor&, Tensor& dy, Tensor* dx, bool) override {
    if (dx) op_->backward(x.data(), dy.data(), dx->data());
  }

 private:
  LrnDesc d_;
  std::unique_ptr<LrnOp> op_;
};

}  // namespace

std::unique_ptr<Layer> make_pool_layer(const LayerSpec& s) { return std::make_unique<PoolLayer>(s); }
std::unique_ptr<Layer> make_lrn_layer(const LayerSpec& s) { return std::make_unique<LrnLayer>(s); }

}  // namespace xfer
