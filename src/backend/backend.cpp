// backend.cpp: what every backend shares: Caffe's pooling output size, and
// the registry, the only place that knows which backends were built.
#include "backend/backend.h"

#include "backend/cpu/cpu_backend.h"
#include "core/check.h"

#include <oneapi/dnnl/dnnl.h>
#ifdef XFER_WITH_CUDA
#include "backend/cuda/cuda_backend.h"
#endif

namespace xfer {

namespace {
// Caffe: ceil((in + 2p - k) / s) + 1, then drop a last window that would
// start inside the right padding.
int pooled_size(int in, int k, int s, int p) {
  int out = (in + 2 * p - k + s - 1) / s + 1;
  if (p > 0 && (out - 1) * s >= in + p) --out;
  return out;
}
}  // namespace

int PoolDesc::out_h() const { return ceil ? pooled_size(h, kernel, stride, pad) : (h + 2 * pad - kernel) / stride + 1; }
int PoolDesc::out_w() const { return ceil ? pooled_size(w, kernel, stride, pad) : (w + 2 * pad - kernel) / stride + 1; }

std::vector<std::string> built_backends() {
  std::vector<std::string> v{"cpu"};
#ifdef XFER_WITH_CUDA
  v.push_back("cuda");
#endif
  return v;
}

std::vector<std::pair<std::string, std::string>> backend_library_versions() {
  const dnnl_version_t* v = dnnl_version();
  std::vector<std::pair<std::string, std::string>> out{
      {"oneDNN", std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                     std::to_string(v->patch) + " (" + v->hash + ")"}};
#ifdef XFER_WITH_CUDA
  for (auto& lib : cuda_library_versions()) out.push_back(std::move(lib));
#endif
  return out;
}

bool cuda_device_available(std::string* why) {
#ifdef XFER_WITH_CUDA
  return cuda_device_present(why);
#else
  if (why) *why = "this binary was built without the CUDA backend";
  return false;
#endif
}

bool backend_available(const std::string& name, std::string* why) {
  if (name == "cpu") return true;
  if (name == "cuda") return cuda_device_available(why);
  if (why) *why = "no backend is called '" + name + "'";
  return false;
}

std::unique_ptr<Backend> make_backend(const std::string& name, int device, int threads) {
  if (name == "cpu") return make_cpu_backend(threads);
#ifdef XFER_WITH_CUDA
  if (name == "cuda") return make_cuda_backend(device);
#endif
  XFER_FAIL("backend '" << name << "' is not built into this binary (built: "
                        << (built_backends().size() > 1 ? "cpu, cuda" : "cpu") << ")");
}

}  // namespace xfer
