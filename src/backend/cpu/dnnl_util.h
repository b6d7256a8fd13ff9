// dnnl_util.h: small helpers shared by the oneDNN ops: plain memory
// descriptors, and Staged, which shows a user buffer in plain layout to a
// primitive that prefers a blocked one (reordering only when they differ).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <vector>

namespace xfer::cpu {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

inline memory::desc plain(const memory::dims& d, tag t) { return memory::desc(d, dt::f32, t); }
inline memory::desc any(const memory::dims& d) { return memory::desc(d, dt::f32, tag::any); }

// The engine and stream every CPU op runs on.
struct Ctx {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
};
Ctx& ctx();

class Staged {
 public:
  Staged() = default;
  Staged(const memory::desc& user_md, const memory::desc& prim_md);
  // Input: returns the primitive's view of user data at `p`.
  memory& in(const float* p);
  // Output: the memory the primitive writes; call finish() after it ran.
  memory& out(float* p);
  void finish();
  bool reorders() const { return reorder_; }

 private:
  memory user_, prim_;
  dnnl::reorder to_prim_, to_user_;
  bool reorder_ = false;
};

}  // namespace xfer::cpu
