// cuda_check.h: error checks for the CUDA runtime (cuda_runtime_check.h),
// cuDNN and cuBLAS. Each failure throws xfer::Error naming the call as
// written, the library's own message, file:line, host and rank
// (XFER_CHECK_STATUS in core/check.h).
#pragma once

#include <cublas_v2.h>
#include <cudnn.h>

#include <string>

#include "backend/cuda/cuda_runtime_check.h"

namespace xfer::status {

inline bool ok(cudnnStatus_t s) { return s == CUDNN_STATUS_SUCCESS; }
inline std::string text(cudnnStatus_t s) { return cudnnGetErrorString(s); }

inline bool ok(cublasStatus_t s) { return s == CUBLAS_STATUS_SUCCESS; }
inline std::string text(cublasStatus_t s) {
  return std::string(cublasGetStatusName(s)) + ": " + cublasGetStatusString(s);
}

}  // namespace xfer::status

#define XFER_CUDNN(call) XFER_CHECK_STATUS("cuDNN", call)
#define XFER_CUBLAS(call) XFER_CHECK_STATUS("cuBLAS", call)
