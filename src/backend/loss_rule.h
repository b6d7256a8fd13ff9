// loss_rule.h: how one validation row is scored, shared by the CPU backend
// and the CUDA kernel (host and device compile the same lines), so the two
// can never disagree on a non-finite score.
//
// A NaN anywhere in a row makes it wrong: the true class's rank becomes at
// least kNonFiniteRank, so it is neither a top-1 nor a top-5 hit (a plain
// `p[j] > p[y]` is false for NaN, which made a diverged net score 1.0), and
// its loss stays NaN (fmaxf(NaN, FLT_MIN) would have returned FLT_MIN, a
// finite 87.34), so the trainer sees the divergence.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdint>

#include "core/host_device.h"

namespace xfer {

// Out of every top-k we report, and small enough that a row of up to 32,767
// NaN scores still sums within int32.
constexpr int32_t kNonFiniteRank = 1 << 16;

// How much class j's probability `pj` adds to the rank of the true class,
// whose probability is `py`.
XFER_HOST_DEVICE inline int32_t rank_contribution(float pj, float py) {
  if (pj != pj || py != py) return kNonFiniteRank;
  return pj > py ? 1 : 0;
}

// -log(py), clamped at FLT_MIN for a zero probability; NaN when py or any
// score of the row (rank >= kNonFiniteRank) is NaN.
XFER_HOST_DEVICE inline float row_loss(float py, int32_t rank) {
  if (py != py || rank >= kNonFiniteRank) return NAN;
  return -logf(py > FLT_MIN ? py : FLT_MIN);
}

// Hits for a row whose true class has `rank` classes above it.
XFER_HOST_DEVICE inline bool top_k_hit(int32_t rank, int k) { return rank < k; }

}  // namespace xfer
