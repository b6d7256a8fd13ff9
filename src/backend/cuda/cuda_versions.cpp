// cuda_versions.cpp: the versions of the CUDA libraries this binary runs
// with (those loaded now, which may differ from those it was built with) and
// the GPUs present, for --version and the provenance of results.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "backend/cuda/cuda_backend.h"

namespace xfer {

namespace {
// 12080 -> "12.8" (CUDA's encoding: 1000 * major + 10 * minor).
std::string cuda_version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }
}  // namespace

std::vector<std::pair<std::string, std::string>> cuda_library_versions() {
  std::vector<std::pair<std::string, std::string>> out;
  const size_t cudnn = cudnnGetVersion();  // 90100 -> 9.1.0
  out.push_back({"cuDNN", std::to_string(cudnn / 10000) + "." + std::to_string(cudnn % 10000 / 100) +
                              "." + std::to_string(cudnn % 100)});
  int major = 0, minor = 0, patch = 0;
  if (cublasGetProperty(MAJOR_VERSION, &major) == CUBLAS_STATUS_SUCCESS &&
      cublasGetProperty(MINOR_VERSION, &minor) == CUBLAS_STATUS_SUCCESS &&
      cublasGetProperty(PATCH_LEVEL, &patch) == CUBLAS_STATUS_SUCCESS)
    out.push_back({"cuBLAS", std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch)});
  int v = 0;
  if (cudaRuntimeGetVersion(&v) == cudaSuccess) out.push_back({"CUDA runtime", cuda_version_text(v)});
  if (cudaDriverGetVersion(&v) == cudaSuccess && v > 0) out.push_back({"CUDA driver", cuda_version_text(v)});
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: nothing more to say
    return out;
  }
  for (int d = 0; d < devices; ++d) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, d) == cudaSuccess)
      out.push_back({"GPU " + std::to_string(d), std::string(p.name) + " (sm_" +
                                                     std::to_string(p.major) + std::to_string(p.minor) + ")"});
  }
  return out;
}

}  // namespace xfer
