// cuda_check.h: error checks for the CUDA runtime, cuDNN and cuBLAS. Each
// failure throws xfer::Error naming the call as written, the library's own
// message, file:line, host and rank (XFER_FAIL adds the last three).
// Kernel launches are followed by XFER_CUDA_LAUNCH_CHECK(name).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "core/check.h"

#define XFER_CUDA(call)                                                                   \
  do {                                                                                    \
    cudaError_t e_ = (call);                                                              \
    if (e_ != cudaSuccess)                                                                \
      XFER_FAIL("CUDA call " #call " failed: " << cudaGetErrorName(e_) << ": "            \
                                               << cudaGetErrorString(e_));                \
  } while (0)

#define XFER_CUDNN(call)                                                                  \
  do {                                                                                    \
    cudnnStatus_t s_ = (call);                                                            \
    if (s_ != CUDNN_STATUS_SUCCESS)                                                       \
      XFER_FAIL("cuDNN call " #call " failed: " << cudnnGetErrorString(s_));              \
  } while (0)

#define XFER_CUBLAS(call)                                                                 \
  do {                                                                                    \
    cublasStatus_t s_ = (call);                                                           \
    if (s_ != CUBLAS_STATUS_SUCCESS)                                                      \
      XFER_FAIL("cuBLAS call " #call " failed: " << cublasGetStatusName(s_) << ": "       \
                                                 << cublasGetStatusString(s_));           \
  } while (0)

// After every kernel launch: launch errors now, execution errors at the next
// synchronising call (which names itself).
#define XFER_CUDA_LAUNCH_CHECK(kernel_name)                                               \
  do {                                                                                    \
    cudaError_t e_ = cudaGetLastError();                                                  \
    if (e_ != cudaSuccess)                                                                \
      XFER_FAIL("CUDA kernel " << kernel_name << " failed to launch: "                    \
                               << cudaGetErrorName(e_) << ": " << cudaGetErrorString(e_)); \
  } while (0)
