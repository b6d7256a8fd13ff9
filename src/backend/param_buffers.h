// param_buffers.h: a model's parameters as a backend holds them for
// training: three flat buffers of one size (the parameters, their gradients,
// the momentum) and the blocks of them that train. The net implements it and
// the solver updates through it, so neither knows the other.
#pragma once

#include <cstddef>
#include <vector>

#include "backend/tensor.h"

namespace xfer {

// One parameter layer in the flat buffers: `weights` elements at `offset`,
// then `biases` (the two take different lr and decay multipliers).
struct ParamBlock {
  size_t offset = 0, weights = 0, biases = 0;
};

class ParamBuffers {
 public:
  virtual Backend& backend() const = 0;
  virtual Tensor& params() = 0;
  virtual Tensor& grads() = 0;
  virtual Tensor& momentum() = 0;
  // The blocks that train; frozen ones are left out (Caffe's lr_mult 0:
  // untouched, their momentum stays zero).
  virtual std::vector<ParamBlock> trainable_blocks() const = 0;

 protected:
  ~ParamBuffers() = default;
};

}  // namespace xfer
