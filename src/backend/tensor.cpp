// tensor.cpp: tensor memory through the backend.
#include "backend/tensor.h"

#include <limits>
#include <utility>

#include "core/check.h"

namespace xfer {

std::string Shape::str() const {
  return std::to_string(d[0]) + "x" + std::to_string(d[1]) + "x" + std::to_string(d[2]) + "x" +
         std::to_string(d[3]);
}

int shape_dim(int64_t v, const std::string& layer, const char* what) {
  XFER_CHECK(v >= 0 && v <= std::numeric_limits<int>::max(),
             "layer " << layer << ": its " << what << " of " << v << " is beyond the " << std::numeric_limits<int>::max()
                      << " an op takes");
  return static_cast<int>(v);
}

Tensor::Tensor(Backend& be, const Shape& s) : be_(&be), shape_(s), owning_(true) {
  if (s.count() == 0) return;
  p_ = static_cast<float*>(be.alloc(bytes()));
  be.zero(p_, bytes());
}

Tensor Tensor::view(Backend& be, float* p, const Shape& s) {
  Tensor t;
  t.be_ = &be;
  t.p_ = p;
  t.shape_ = s;
  t.owning_ = false;
  return t;
}

Tensor::~Tensor() {
  if (owning_ && p_) be_->release(p_);
}

Tensor::Tensor(Tensor&& o) noexcept { *this = std::move(o); }

Tensor& Tensor::operator=(Tensor&& o) noexcept {
  if (this != &o) {
    if (owning_ && p_) be_->release(p_);
    be_ = o.be_;
    p_ = std::exchange(o.p_, nullptr);
    shape_ = o.shape_;
    owning_ = std::exchange(o.owning_, false);
  }
  return *this;
}

std::vector<float> Tensor::to_host() const {
  std::vector<float> v(count());
  if (!v.empty()) be_->download(v.data(), p_, bytes());
  return v;
}

void Tensor::from_host(const std::vector<float>& v) { from_host(v.data(), v.size()); }

void Tensor::from_host(const float* p, size_t n) {
  XFER_CHECK(n == count(), "tensor of shape " << shape_.str() << " given " << n << " values");
  if (n) be_->upload(p_, p, bytes());
}

void Tensor::zero() {
  if (p_) be_->zero(p_, bytes());
}

}  // namespace xfer
