// conv_layer.cpp: grouped convolution with a fused ReLU.
#include "layers/layer_impl.h"

#include "core/check.h"

namespace xfer {

Shape ConvLayer::setup(Backend& be, const Shape& in) {
  be_ = &be;
  d_.n = in.n();
  d_.c = in.c();
  d_.h = in.h();
  d_.w = in.w();
  d_.out_c = spec_.outputs;
  d_.kernel = spec_.kernel;
  d_.stride = spec_.stride;
  d_.pad = spec_.pad;
  d_.groups = spec_.groups;
  d_.relu = spec_.relu;
  XFER_CHECK(d_.c % d_.groups == 0 && d_.out_c % d_.groups == 0,
             "layer " << name() << ": " << d_.c << " inputs and " << d_.out_c
                      << " outputs must both divide into " << d_.groups << " groups");
  XFER_CHECK(d_.out_h() > 0 && d_.out_w() > 0,
             "layer " << name() << ": input " << in.str() << " is smaller than its kernel");
  op_ = be.make_conv(d_);
  return Shape(d_.n, d_.out_c, d_.out_h(), d_.out_w());
}

Shape ConvLayer::weight_shape() const {
  return Shape(spec_.outputs, d_.c / spec_.groups, spec_.kernel, spec_.kernel);
}

Shape ConvLayer::bias_shape() const { return Shape(spec_.outputs); }

void ConvLayer::forward(const Tensor& x, Tensor& y, const PassContext&) {
  op_->forward(x.data(), w_.data(), b_.data(), y.data());
}

void ConvLayer::backward(const Tensor& x, const Tensor& y, Tensor& dy, Tensor* dx,
                         bool need_param_grad) {
  if (spec_.relu) be_->relu_backward(y.data(), dy.data(), dy.count());
  if (dx) op_->backward_data(dy.data(), w_.data(), dx->data());
  if (need_param_grad) op_->backward_weights(x.data(), dy.data(), dw_.data(), db_.data());
}

}  // namespace xfer
