// sgd.h: the paper's solver (Caffe's SGD with momentum, weight decay, the
// "step" learning-rate policy and per-parameter lr/decay multipliers).
#pragma once

#include <cstdint>

#include "backend/param_buffers.h"
#include "solver/solver_spec.h"

namespace xfer {

class SgdSolver {
 public:
  SgdSolver(ParamBuffers& target, const SolverSpec& s) : target_(target), s_(s) {}
  // base_lr * gamma ^ floor(iter / lr_step).
  double learning_rate(int64_t iter) const;
  // One update of every trainable parameter from the gradients in the
  // target's buffers: v = momentum*v + lr*mult*(g + decay*decay_mult*w); w -= v.
  void update(int64_t iter);
  const SolverSpec& spec() const { return s_; }

 private:
  ParamBuffers& target_;
  SolverSpec s_;
};

}  // namespace xfer
