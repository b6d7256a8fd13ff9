// inner_product_layer.cpp: fully connected layers with an optional fused ReLU
// (the passes are WeightedLayer's).
#include "layers/layer_impl.h"

namespace xfer {

namespace {

class InnerProductLayer final : public WeightedLayer {
 public:
  InnerProductLayer(const LayerSpec& s, int outputs) : WeightedLayer(s), outputs_(outputs) {}

  Shape make_op(Backend& be, const Shape& in) override {
    d_ = InnerProductDesc{.n = in.n(), .c = in.c(), .h = in.h(), .w = in.w(), .out = outputs_,
                          .relu = spec_.relu};
    op_ = be.make_inner_product(d_);
    return Shape(d_.n, d_.out);
  }

  Shape weight_shape() const override { return Shape(outputs_, d_.in()); }
  Shape bias_shape() const override { return Shape(outputs_); }

 private:
  int outputs_;
  InnerProductDesc d_;
};

}  // namespace

std::unique_ptr<Layer> make_inner_product_layer(const LayerSpec& s, int outputs) {
  return std::make_unique<InnerProductLayer>(s, outputs);
}

}  // namespace xfer
