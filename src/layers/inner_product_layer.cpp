// inner_product_layer.cpp: fully connected layers with an optional fused ReLU.
#include "layers/layer_impl.h"

namespace xfer {

Shape InnerProductLayer::setup(Backend& be, const Shape& in) {
  be_ = &be;
  d_.n = in.n();
  d_.c = in.c();
  d_.h = in.h();
  d_.w = in.w();
  d_.out = outputs_;
  d_.relu = spec_.relu;
  op_ = be.make_inner_product(d_);
  return Shape(d_.n, d_.out);
}

Shape InnerProductLayer::weight_shape() const { return Shape(outputs_, d_.in()); }
Shape InnerProductLayer::bias_shape() const { return Shape(outputs_); }

void InnerProductLayer::forward(const Tensor& x, Tensor& y, const PassContext&) {
  op_->forward(x.data(), w_.data(), b_.data(), y.data());
}

void InnerProductLayer::backward(const Tensor& x, const Tensor& y, Tensor& dy, Tensor* dx,
                                 bool need_param_grad) {
  if (spec_.relu) be_->relu_backward(y.data(), dy.data(), dy.count());
  if (dx) op_->backward_data(dy.data(), w_.data(), dx->data());
  if (need_param_grad) op_->backward_weights(x.data(), dy.data(), dw_.data(), db_.data());
}

}  // namespace xfer
