// cpu_backend.h: the CPU backend, on oneDNN for convolution, pooling, LRN,
// inner product and softmax, with our own OpenMP loops for the elementwise
// work (ReLU backward, dropout, the fused SGD update).
#pragma once

#include <memory>

#include "backend/backend.h"

namespace xfer {

// threads <= 0 keeps OpenMP's default.
std::unique_ptr<Backend> make_cpu_backend(int threads);

}  // namespace xfer
