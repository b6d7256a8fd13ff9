// cuda_runtime_check.h: error checks for the CUDA runtime through
// XFER_CHECK_STATUS (core/check.h). Needs only cuda_runtime.h, so the NCCL
// communicator shares it with the CUDA backend without seeing cuDNN.
// Kernel launches are followed by XFER_CUDA_LAUNCH_CHECK(name).
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "core/check.h"

namespace xfer::status {

inline bool ok(cudaError_t e) { return e == cudaSuccess; }
inline std::string text(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

}  // namespace xfer::status

#define XFER_CUDA(call) XFER_CHECK_STATUS("CUDA", call)

// After every kernel launch: launch errors now, execution errors at the next
// synchronising call (which names itself).
#define XFER_CUDA_LAUNCH_CHECK(kernel_name)                                               \
  do {                                                                                    \
    const cudaError_t e_ = cudaGetLastError();                                            \
    if (!::xfer::status::ok(e_))                                                          \
      XFER_FAIL("CUDA kernel " << kernel_name << " failed to launch: "                    \
                               << ::xfer::status::text(e_));                              \
  } while (0)
