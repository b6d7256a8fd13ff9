// weighted_layer.cpp: what conv and inner-product layers share (setup
// around their op, both passes); only the op they make and their parameter
// shapes differ.
#include "layers/layer_impl.h"

namespace xfer {

void WeightedLayer::setup(Backend& be) {
  be_ = &be;
  make_op(be);
}

void WeightedLayer::forward(const Tensor& x, Tensor& y, const PassContext&) {
  op_->forward(x.data(), w_.data(), b_.data(), y.data());
}

void WeightedLayer::backward(const Tensor& x, const Tensor& y, Tensor& dy, Tensor* dx,
                             bool need_param_grad) {
  if (spec_.relu) be_->relu_backward(y.data(), dy.data(), dy.count());
  if (dx) op_->backward_data(dy.data(), w_.data(), dx->data());
  if (need_param_grad) op_->backward_weights(x.data(), dy.data(), dw_.data(), db_.data());
}

}  // namespace xfer
