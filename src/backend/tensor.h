// tensor.h: a float buffer in a backend's memory with an NCHW shape. Owning
// tensors free their memory; views (into a net's flat parameter buffers)
// do not.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace xfer {

// Dimensions and counts are 64-bit: a flat parameter buffer, or one layer's
// weights, can hold more than 2^31 elements. The ops take int dimensions
// (as cuDNN's descriptors do): a layer narrows each one with shape_dim(),
// which refuses a dimension past int.
struct Shape {
  std::array<int64_t, 4> d{0, 1, 1, 1};  // n, c, h, w
  Shape() = default;
  Shape(int64_t n, int64_t c = 1, int64_t h = 1, int64_t w = 1) : d{n, c, h, w} {}
  size_t count() const { return size_t(d[0]) * size_t(d[1]) * size_t(d[2]) * size_t(d[3]); }
  int64_t n() const { return d[0]; }
  int64_t c() const { return d[1]; }
  int64_t h() const { return d[2]; }
  int64_t w() const { return d[3]; }
  bool operator==(const Shape& o) const { return d == o.d; }
  std::string str() const;
};

// `v` as the int an op takes, or an error naming the layer and the dimension.
int shape_dim(int64_t v, const std::string& layer, const char* what);

class Tensor {
 public:
  Tensor() = default;
  Tensor(Backend& be, const Shape& s);                 // owning, zeroed
  static Tensor view(Backend& be, float* p, const Shape& s);
  ~Tensor();
  Tensor(Tensor&& o) noexcept;
  Tensor& operator=(Tensor&& o) noexcept;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;

  float* data() { return p_; }
  const float* data() const { return p_; }
  const Shape& shape() const { return shape_; }
  size_t count() const { return shape_.count(); }
  size_t bytes() const { return count() * sizeof(float); }
  bool empty() const { return p_ == nullptr; }
  Backend& backend() const { return *be_; }

  std::vector<float> to_host() const;
  void from_host(const std::vector<float>& v);
  void from_host(const float* p, size_t count);
  void zero();

 private:
  Backend* be_ = nullptr;
  float* p_ = nullptr;
  Shape shape_;
  bool owning_ = false;
};

}  // namespace xfer
