// cuda_context.h: what the CUDA backend's ops share: the device, the compute
// stream every op enqueues on, the cuDNN and cuBLAS handles bound to it, one
// convolution workspace (ops run one after another on one stream, so one
// buffer serves them all), a vector of ones for bias gradients, and the
// precision setting at the time an op is made.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstddef>
#include <memory>

#include "backend/backend.h"

namespace xfer::cuda {

struct Context {
  int device = 0;
  cudaStream_t stream = nullptr;  // compute
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
  bool tf32 = false;
  // Convolution algorithms by timing (XFER_CUDNN_BENCHMARK=1) instead of
  // cuDNN's heuristic; see cuda_conv.cpp for what that costs in repeatability.
  bool benchmark = false;
  // Upper bound on a convolution algorithm's workspace (XFER_CUDNN_WORKSPACE_MB).
  size_t workspace_limit = size_t(4) << 30;

  // A workspace of at least `bytes`, valid until the next call.
  void* workspace(size_t bytes);
  // A device vector of at least n ones.
  const float* ones(size_t n);

  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  float* ones_ = nullptr;
  size_t ones_count_ = 0;
};

std::unique_ptr<ConvOp> make_conv(Context& ctx, const ConvDesc& d);
std::unique_ptr<InnerProductOp> make_inner_product(Context& ctx, const InnerProductDesc& d);
std::unique_ptr<PoolOp> make_pool(Context& ctx, const PoolDesc& d);
std::unique_ptr<LrnOp> make_lrn(Context& ctx, const LrnDesc& d);
std::unique_ptr<BatchNormOp> make_batch_norm(Context& ctx, const BatchNormDesc& d);

}  // namespace xfer::cuda
