// dnnl_util.cpp: the shared engine/stream and layout staging.
#include "backend/cpu/dnnl_util.h"

namespace xfer::cpu {

Ctx& ctx() {
  static Ctx c;
  return c;
}

Staged::Staged(const memory::desc& user_md, const memory::desc& prim_md) {
  auto& c = ctx();
  user_ = memory(user_md, c.eng, DNNL_MEMORY_NONE);
  reorder_ = user_md != prim_md;
  prim_ = reorder_ ? memory(prim_md, c.eng) : user_;
  if (reorder_) {
    to_prim_ = dnnl::reorder(user_, prim_);
    to_user_ = dnnl::reorder(prim_, user_);
  }
}

memory& Staged::in(const float* p) {
  user_.set_data_handle(const_cast<float*>(p));
  if (!reorder_) return user_;
  to_prim_.execute(ctx().strm, user_, prim_);
  return prim_;
}

memory& Staged::out(float* p) {
  user_.set_data_handle(p);
  return reorder_ ? prim_ : user_;
}

void Staged::finish() {
  if (reorder_) to_user_.execute(ctx().strm, prim_, user_);
}

}  // namespace xfer::cpu
