// net.h: a network built from a NetSpec on one backend: its layers, their
// activations, and three flat buffers (parameters, gradients, momentum).
// Parameters are stored top layer first (fc8, fc7, ..., conv1), so the
// trainable parameters of a net frozen up to layer n are one prefix of the
// buffers, and backward completes that prefix front to back: gradient
// buckets can be sent in order as soon as they are ready.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/param_buffers.h"
#include "backend/tensor.h"
#include "data/batch_source.h"
#include "layers/layer.h"
#include "net/net_spec.h"

namespace xfer {

struct ParamSlot {
  Layer* layer = nullptr;
  int transfer_index = 0;  // 1..8
  // Which parameter layer of its transfer index, bottom up (0 for every
  // CaffeNet layer; a residual stage has many): its own initial values.
  int ordinal = 0;
  size_t offset = 0;       // of the weights in the flat buffers; bias follows
  size_t weight_count = 0, bias_count = 0;
  size_t buffer_offset = 0, buffer_count = 0;  // in the net's buffers (running statistics)
  bool frozen = false;     // trains nothing: a frozen layer, or a batch normalisation set frozen
  bool bn_frozen = false;  // a batch normalisation set frozen (Net::set_bn_mode)
  size_t count() const { return weight_count + bias_count; }
};

// A net's layers planned from its spec alone, with no backend and no memory:
// every activation's shape and where each parameter layer's weights and bias
// lie in the flat buffers (64-bit offsets: a buffer may pass 2^31 elements).
// Net builds itself from one; a size is checked here before it is allocated.
struct NetLayout {
  std::vector<std::unique_ptr<Layer>> layers;  // planned, not yet set up
  Shape input;
  std::vector<Shape> outputs;   // of each layer
  std::vector<std::vector<int>> inputs;  // of each layer: earlier layers' indices, -1 the network's input
  std::vector<ParamSlot> slots;  // top layer first
  size_t param_count = 0;        // elements of each flat buffer
  size_t buffer_count = 0;       // elements of the buffers (running statistics)
  // Bytes a net of this layout allocates: the input, each activation and its
  // gradient, the three flat buffers (parameters, gradients, momentum).
  size_t bytes() const;
};
NetLayout plan_net(const NetSpec& spec, int batch, int num_outputs);

// The solver updates it as ParamBuffers (backend/param_buffers.h), without
// knowing the net.
class Net final : public ParamBuffers {
 public:
  // num_outputs: fc8's outputs (the number of classes, or more: the paper
  // used 1000 for its 500-class nets).
  Net(Backend& be, const NetSpec& spec, int batch, int num_outputs);

  const NetSpec& spec() const { return spec_; }
  Backend& backend() const override { return be_; }
  int batch() const { return batch_; }
  int num_outputs() const { return num_outputs_; }

  // Gaussian weights and constant biases as the spec says; each layer draws
  // from its own stream of `seed`, so a layer's initial values do not depend
  // on which other layers are initialised.
  void init_params(uint64_t seed);
  void init_layer(const ParamSlot& p, uint64_t seed);
  // Freezes parameter layers 1..n (lr 0, no gradients, no backward below).
  void set_frozen(int n);
  int frozen_layers() const { return frozen_; }
  // The batch normalisations of transfer indices 1..n behave as `mode`
  // (layer_spec.h), those above as train; frozen ones train no parameter,
  // in a fine-tuned net too (torchvision's detection backbones).
  void set_bn_mode(int n, BnMode mode);

  // Uploads the batch (b.n <= batch; missing rows are zero and not scored),
  // runs every layer and the loss.
  LossStats forward(const HostBatch& b, const PassContext& ctx);
  // Gradients of the last forward's loss times `scale` (1 / global batch).
  void backward(float scale);
  // Called during backward each time a parameter layer's gradients are
  // final, with the range [offset, offset + count) of the flat buffers.
  void on_gradients_ready(std::function<void(size_t offset, size_t count)> f) {
    grads_ready_ = std::move(f);
  }

  Tensor& params() override { return params_; }
  Tensor& grads() override { return grads_; }
  Tensor& momentum() override { return momentum_; }
  // The layers' buffers (BatchNorm's running statistics), one flat tensor in
  // slot order; empty for a net without any. Never a gradient: not reduced
  // with them, not updated by the solver.
  Tensor& buffers() { return buffers_; }
  std::vector<ParamBlock> trainable_blocks() const override;
  const std::vector<ParamSlot>& slots() const { return slots_; }  // top layer first
  const ParamSlot& slot(const std::string& layer_name) const;
  // Elements of the flat buffers that train (a prefix; see above).
  size_t trainable_count() const;
  size_t param_count() const { return params_.count(); }
  // "nan in conv1": the first parameter layer (bottom up) holding a NaN or an
  // infinity, and which; "" when every parameter is finite. One pass over the
  // flat buffer (copied to the host): a run whose weights went non-finite while
  // ReLU kept its loss finite is caught at its next test.
  std::string nonfinite_params() const;
  // Whether layer i (in spec order) has parameters that train.
  bool trains(size_t layer) const;
  void pass_gradient_through(size_t layer, size_t lowest, std::vector<char>& written);
  void reset_buffers(const ParamSlot& p);  // the layer's initial running statistics

  // The transfer boundaries of the last forward: boundary n = 1..7 is what
  // parameter layer n + 1 receives (after the ReLU, pooling and LRN that
  // follow layer n: exactly where a transfer cuts), the last one the logits.
  // Each is [batch, features] on the backend; rows past the batch's images
  // are padding.
  int boundary_count() const { return int(boundaries_.size()); }
  const Tensor& boundary(int n) const;

 private:
  Backend& be_;
  NetSpec spec_;
  int batch_, num_outputs_;
  std::vector<std::unique_ptr<Layer>> layers_;
  Tensor input_;
  std::vector<Tensor> acts_, dacts_;
  std::vector<std::vector<int>> inputs_;               // of each layer (NetLayout::inputs)
  std::vector<std::vector<const Tensor*>> in_tensors_;  // the same, as tensors
  std::vector<Tensor> scratch_;  // of an activation feeding several layers: a second gradient
  std::vector<int> slot_of_;     // each layer's index in slots_, -1 for none
  Tensor params_, grads_, momentum_, buffers_;
  std::vector<ParamSlot> slots_;
  std::vector<size_t> boundaries_;  // index into acts_ of boundary n (1-based: [n - 1])
  std::vector<int32_t> labels_;
  int valid_ = 0;
  int frozen_ = 0;
  int bn_up_to_ = 0;
  std::function<void(size_t, size_t)> grads_ready_;
};

}  // namespace xfer
