// layer.h: the contract of a layer (as Caffe's: setup, forward, backward).
// A layer holds the backend op made for its shape and, for conv and fully
// connected layers, views of its parameters and their gradients inside the
// net's flat buffers. Layers never branch on the device.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "backend/tensor.h"
#include "layers/layer_spec.h"

namespace xfer {

// What a forward pass needs beyond its input.
struct PassContext {
  bool train = true;
  uint64_t dropout_seed = 0;  // per rank, derived from the run seed
  uint64_t step = 0;          // iteration: dropout masks differ per step
};

class Layer {
 public:
  explicit Layer(const LayerSpec& s) : spec_(s) {}
  virtual ~Layer() = default;
  const LayerSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }

  // The output shape for input shape `in` (and, from then on, the parameter
  // shapes). No backend and no memory: a net's whole layout is known, and
  // checked, before anything is allocated.
  virtual Shape plan(const Shape& in) = 0;
  // Makes the backend op for the planned shape, and any memory the layer keeps.
  virtual void setup(Backend& be) = 0;
  // Parameter shapes (once planned); count() == 0 for layers without parameters.
  virtual Shape weight_shape() const { return Shape(0); }
  virtual Shape bias_shape() const { return Shape(0); }
  void bind_params(Tensor w, Tensor b, Tensor dw, Tensor db) {
    w_ = std::move(w);
    b_ = std::move(b);
    dw_ = std::move(dw);
    db_ = std::move(db);
  }
  Tensor& weights() { return w_; }
  Tensor& bias() { return b_; }

  // State kept beside the parameters that is never trained by gradients
  // (BatchNorm's running mean and variance): saved in checkpoints, copied by
  // a transfer. The layer's initial values, and a view of them in the net's
  // buffer of buffers.
  virtual std::vector<float> initial_buffers() const { return {}; }
  void bind_buffers(Tensor b) { buf_ = std::move(b); }
  Tensor& buffers() { return buf_; }
  // A batch normalisation's behaviour in training; other layers have none.
  virtual void set_bn_mode(BnMode) {}
  // Whether its backward hands dy, unchanged but for its fused ReLU's mask,
  // to every input (a sum): the net then routes it without copies.
  virtual bool passes_gradient_through() const { return false; }
  // Whether a training step changes its buffers (a batch normalisation in train mode).
  virtual bool updates_buffers() const { return false; }

  // Layers of several inputs (a residual sum) implement these three; for
  // the others they are the single-input calls.
  virtual Shape plan_inputs(const std::vector<Shape>& in);
  virtual void forward_inputs(const std::vector<const Tensor*>& xs, Tensor& y, const PassContext& ctx) {
    forward(*xs[0], y, ctx);
  }
  // dxs[k] is null where input k needs no gradient.
  virtual void backward_inputs(const std::vector<const Tensor*>& xs, const Tensor& y, Tensor& dy,
                               const std::vector<Tensor*>& dxs, bool need_param_grad) {
    backward(*xs[0], y, dy, dxs[0], need_param_grad);
  }

  virtual void forward(const Tensor& x, Tensor& y, const PassContext& ctx) = 0;
  // dy may be modified in place (a fused ReLU masks it). dx is null when no
  // layer below needs a gradient; need_param_grad is false for frozen layers.
  virtual void backward(const Tensor& x, const Tensor& y, Tensor& dy, Tensor* dx,
                        bool need_param_grad) = 0;

 protected:
  LayerSpec spec_;
  Tensor w_, b_, dw_, db_, buf_;
};

// outputs_override replaces spec.outputs when the spec leaves it 0 (fc8).
std::unique_ptr<Layer> make_layer(const LayerSpec& s, int outputs_override = 0);

}  // namespace xfer
