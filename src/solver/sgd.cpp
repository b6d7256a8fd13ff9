// sgd.cpp: the update, one fused pass per parameter tensor on the backend.
#include "solver/sgd.h"

#include <cmath>

namespace xfer {

double SgdSolver::learning_rate(int64_t iter) const {
  return s_.base_lr * std::pow(s_.gamma, static_cast<double>(iter / s_.lr_step));
}

void SgdSolver::update(int64_t iter) {
  const double lr = learning_rate(iter);
  Backend& be = net_.backend();
  float* w = net_.params().data();
  float* g = net_.grads().data();
  float* v = net_.momentum().data();
  for (const auto& p : net_.slots()) {
    if (p.frozen) continue;  // Caffe's lr_mult 0: untouched, momentum stays zero
    const size_t o = p.offset, b = p.offset + p.weight_count;
    be.sgd_update(w + o, g + o, v + o, p.weight_count, float(lr * s_.weight_lr_mult),
                  float(s_.momentum), float(s_.weight_decay * s_.weight_decay_mult));
    be.sgd_update(w + b, g + b, v + b, p.bias_count, float(lr * s_.bias_lr_mult),
                  float(s_.momentum), float(s_.weight_decay * s_.bias_decay_mult));
  }
}

}  // namespace xfer
