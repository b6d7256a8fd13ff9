// layer_impl.h: what the concrete layers share, private to layers/. Each
// layer family is defined in its own file and made through the constructor
// declared here (make_layer picks one by type).
#pragma once

#include <memory>

#include "layers/layer.h"

namespace xfer {

std::unique_ptr<Layer> make_conv_layer(const LayerSpec& s);
std::unique_ptr<Layer> make_inner_product_layer(const LayerSpec& s, int outputs);
std::unique_ptr<Layer> make_pool_layer(const LayerSpec& s);
std::unique_ptr<Layer> make_lrn_layer(const LayerSpec& s);
std::unique_ptr<Layer> make_dropout_layer(const LayerSpec& s);
std::unique_ptr<Layer> make_batch_norm_layer(const LayerSpec& s);
std::unique_ptr<Layer> make_add_layer(const LayerSpec& s);

// Conv and inner product: a weighted op, and the backward of a fused ReLU
// (it masks dy before the op's own backward). Subclasses make the op and
// say their parameter shapes.
class WeightedLayer : public Layer {
 public:
  using Layer::Layer;
  void setup(Backend& be) final;
  void forward(const Tensor& x, Tensor& y, const PassContext& ctx) final;
  void backward(const Tensor& x, const Tensor& y, Tensor& dy, Tensor* dx, bool need_param_grad) final;

 protected:
  // Makes op_ for the planned shape.
  virtual void make_op(Backend& be) = 0;
  std::unique_ptr<WeightedOp> op_;

 private:
  Backend* be_ = nullptr;
  Tensor zero_bias_, unused_db_;  // for a layer without a bias (LayerSpec::bias)
};

}  // namespace xfer
