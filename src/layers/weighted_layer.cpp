// weighted_layer.cpp: what conv and inner-product layers share (setup
// around their op, both passes); only the op they make and their parameter
// shapes differ.
#include "layers/layer_impl.h"

namespace xfer {

void WeightedLayer::setup(Backend& be) {
  be_ = &be;
  make_op(be);
  // A layer without a bias gives its op a zero one, and a place for the
  // op's bias gradient that nothing reads: one vector of the outputs each.
  if (bias_shape().count() == 0) {
    zero_bias_ = Tensor(be, Shape(weight_shape().n()));
    unused_db_ = Tensor(be, Shape(weight_shape().n()));
  }
}

void WeightedLayer::forward(const Tensor& x, Tensor& y, const PassContext&) {
  op_->forward(x.data(), w_.data(), zero_bias_.empty() ? b_.data() : zero_bias_.data(), y.data());
}

void WeightedLayer::backward(const Tensor& x, const Tensor& y, Tensor& dy, Tensor* dx,
                             bool need_param_grad) {
  if (spec_.relu) be_->relu_backward(y.data(), dy.data(), dy.count());
  if (dx) op_->backward_data(dy.data(), w_.data(), dx->data());
  if (need_param_grad)
    op_->backward_weights(x.data(), dy.data(), dw_.data(), unused_db_.empty() ? db_.data() : unused_db_.data());
}

}  // namespace xfer
