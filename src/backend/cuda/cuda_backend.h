// cuda_backend.h: the CUDA backend's entry points for the registry in
// backend.cpp (the only place that knows which backends were built).
#pragma once

#include <memory>
#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace xfer {

// Whether a CUDA device can be used here; `why` says why not (no driver,
// driver too old for this toolkit, no device).
bool cuda_device_present(std::string* why = nullptr);
// cuDNN, cuBLAS, CUDA runtime and driver versions, and each GPU's model
// (none listed where no driver or device is present).
std::vector<std::pair<std::string, std::string>> cuda_library_versions();
// The CUDA backend on `device` (cuDNN, cuBLAS and our own kernels).
std::unique_ptr<Backend> make_cuda_backend(int device);

// Caffe's data transform on the GPU, so the host moves raw bytes only.
// `raw` holds crops.size() uint8 images [c, h, w] and `mean` the float mean
// image [c, h, w], both in the CUDA backend's memory (Backend::upload);
// example i is cropped at (y0, x0) to crop_h x crop_w, the mean at the same
// pixels subtracted, then mirrored when asked, into float `out`
// [n, c, crop_h, crop_w] in the backend's memory, ordered with its ops.
struct GpuCrop {
  int y0 = 0, x0 = 0;
  bool mirror = false;
};
void cuda_transform_batch(Backend& be, const uint8_t* raw, const float* mean,
                          const std::vector<GpuCrop>& crops, int c, int h, int w, int crop_h,
                          int crop_w, float* out);

}  // namespace xfer
