// pool_lrn_layers.cpp: max pooling (ceil rounding) and across-channel LRN.
#include "layers/layer_impl.h"

namespace xfer {

Shape PoolLayer::setup(Backend& be, const Shape& in) {
  PoolDesc d;
  d.n = in.n();
  d.c = in.c();
  d.h = in.h();
  d.w = in.w();
  d.kernel = spec_.kernel;
  d.stride = spec_.stride;
  d.pad = spec_.pad;
  op_ = be.make_pool(d);
  return Shape(d.n, d.c, d.out_h(), d.out_w());
}

void PoolLayer::forward(const Tensor& x, Tensor& y, const PassContext& ctx) {
  op_->forward(x.data(), y.data(), ctx.train);
}

void PoolLayer::backward(const Tensor&, const Tensor&, Tensor& dy, Tensor* dx, bool) {
  if (dx) op_->backward(dy.data(), dx->data());
}

Shape LrnLayer::setup(Backend& be, const Shape& in) {
  LrnDesc d;
  d.n = in.n();
  d.c = in.c();
  d.h = in.h();
  d.w = in.w();
  d.size = spec_.lrn_size;
  d.alpha = spec_.lrn_alpha;
  d.beta = spec_.lrn_beta;
  d.k = spec_.lrn_k;
  op_ = be.make_lrn(d);
  return in;
}

void LrnLayer::forward(const Tensor& x, Tensor& y, const PassContext& ctx) {
  op_->forward(x.data(), y.data(), ctx.train);
}

void LrnLayer::backward(const Tensor& x, const Tensor&, Tensor& dy, Tensor* dx, bool) {
  if (dx) op_->backward(x.data(), dy.data(), dx->data());
}

}  // namespace xfer
