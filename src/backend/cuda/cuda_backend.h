// cuda_backend.h: the CUDA backend's entry points for the registry in
// backend.cpp (the only place that knows which backends were built).
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"

namespace xfer {

// Whether a CUDA device can be used here; `why` says why not (no driver,
// driver too old for this toolkit, no device).
bool cuda_device_present(std::string* why = nullptr);
// The CUDA backend on `device` (cuDNN, cuBLAS and our own kernels).
std::unique_ptr<Backend> make_cuda_backend(int device);

}  // namespace xfer
