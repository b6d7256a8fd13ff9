// numpy_mt19937.cpp: MT19937 (Matsumoto & Nishimura's reference algorithm,
// as numpy uses it) and numpy's legacy bounded draws and shuffle.
#include "data_prep/numpy_mt19937.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace xfer {

namespace {
constexpr int kN = 624;
constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpper = 0x80000000U;
constexpr uint32_t kLower = 0x7fffffffU;
}  // namespace

void NumpyMT19937::init_genrand(uint32_t s) {
  mt_[0] = s;
  for (int i = 1; i < kN; ++i)
    mt_[i] = 1812433253U * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  mti_ = kN;
}

NumpyMT19937::NumpyMT19937(const std::vector<uint32_t>& key) {
  if (key.empty()) throw std::invalid_argument("NumpyMT19937: empty seed key");
  init_genrand(19650218U);
  int i = 1, j = 0;
  const int len = static_cast<int>(key.size());
  for (int k = std::max(kN, len); k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525U)) + key[j] +
             static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
    if (j >= len) j = 0;
  }
  for (int k = kN - 1; k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941U)) -
             static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000U;
  mti_ = kN;
}

void NumpyMT19937::generate() {
  int kk = 0;
  uint32_t y;
  for (; kk < kN - kM; ++kk) {
    y = (mt_[kk] & kUpper) | (mt_[kk + 1] & kLower);
    mt_[kk] = mt_[kk + kM] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
  }
  for (; kk < kN - 1; ++kk) {
    y = (mt_[kk] & kUpper) | (mt_[kk + 1] & kLower);
    mt_[kk] = mt_[kk + (kM - kN)] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
  }
  y = (mt_[kN - 1] & kUpper) | (mt_[0] & kLower);
  mt_[kN - 1] = mt_[kM - 1] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
  mti_ = 0;
}

uint32_t NumpyMT19937::next_u32() {
  if (mti_ >= kN) generate();
  uint32_t y = mt_[mti_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= (y >> 18);
  return y;
}

uint64_t NumpyMT19937::interval(uint64_t max) {
  if (max == 0) return 0;
  uint64_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  uint64_t value;
  if (max <= 0xffffffffULL) {
    while ((value = (next_u32() & mask)) > max) {
    }
  } else {
    // numpy draws 64 bits as two 32-bit outputs, high word first.
    auto next64 = [this] {
      uint64_t hi = next_u32();
      return (hi << 32) | next_u32();
    };
    while ((value = (next64() & mask)) > max) {
    }
  }
  return value;
}

std::vector<int> NumpyMT19937::permutation(int n) {
  std::vector<int> v(static_cast<size_t>(std::max(n, 0)));
  std::iota(v.begin(), v.end(), 0);
  for (int i = n - 1; i >= 1; --i) {
    auto j = static_cast<int>(interval(static_cast<uint64_t>(i)));
    std::swap(v[i], v[j]);
  }
  return v;
}

}  // namespace xfer
