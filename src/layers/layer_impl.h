// layer_impl.h: the concrete layers (private to layers/; the net builds them
// through make_layer).
#pragma once

#include "layers/layer.h"

namespace xfer {

class ConvLayer final : public Layer {
 public:
  using Layer::Layer;
  Shape setup(Backend& be, const Shape& in) override;
  Shape weight_shape() const override;
  Shape bias_shape() const override;
  void forward(const Tensor& x, Tensor& y, const PassContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, Tensor& dy, Tensor* dx, bool need_param_grad) override;

 private:
  Backend* be_ = nullptr;
  ConvDesc d_;
  std::unique_ptr<ConvOp> op_;
};

class InnerProductLayer final : public Layer {
 public:
  InnerProductLayer(const LayerSpec& s, int outputs) : Layer(s), outputs_(outputs) {}
  Shape setup(Backend& be, const Shape& in) override;
  Shape weight_shape() const override;
  Shape bias_shape() const override;
  void forward(const Tensor& x, Tensor& y, const PassContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, Tensor& dy, Tensor* dx, bool need_param_grad) override;

 private:
  Backend* be_ = nullptr;
  int outputs_;
  InnerProductDesc d_;
  std::unique_ptr<InnerProductOp> op_;
};

class PoolLayer final : public Layer {
 public:
  using Layer::Layer;
  Shape setup(Backend& be, const Shape& in) override;
  void forward(const Tensor& x, Tensor& y, const PassContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, Tensor& dy, Tensor* dx, bool need_param_grad) override;

 private:
  std::unique_ptr<PoolOp> op_;
};

class LrnLayer final : public Layer {
 public:
  using Layer::Layer;
  Shape setup(Backend& be, const Shape& in) override;
  void forward(const Tensor& x, Tensor& y, const PassContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, Tensor& dy, Tensor* dx, bool need_param_grad) override;

 private:
  std::unique_ptr<LrnOp> op_;
};

class DropoutLayer final : public Layer {
 public:
  using Layer::Layer;
  Shape setup(Backend& be, const Shape& in) override;
  void forward(const Tensor& x, Tensor& y, const PassContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, Tensor& dy, Tensor* dx, bool need_param_grad) override;

 private:
  Backend* be_ = nullptr;
  Tensor mask_;
  uint64_t stream_salt_ = 0;
};

}  // namespace xfer
