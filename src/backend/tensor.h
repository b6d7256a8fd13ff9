// tensor.h: a float buffer in a backend's memory with an NCHW shape. Owning
// tensors free their memory; views (into a net's flat parameter buffers)
// do not.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace xfer {

struct Shape {
  std::array<int, 4> d{0, 1, 1, 1};  // n, c, h, w
  Shape() = default;
  Shape(int n, int c = 1, int h = 1, int w = 1) : d{n, c, h, w} {}
  size_t count() const { return size_t(d[0]) * d[1] * d[2] * d[3]; }
  int n() const { return d[0]; }
  int c() const { return d[1]; }
  int h() const { return d[2]; }
  int w() const { return d[3]; }
  bool operator==(const Shape& o) const { return d == o.d; }
  std::string str() const;
};

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
