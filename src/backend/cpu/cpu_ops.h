// cpu_ops.h: constructors of the oneDNN-backed ops (one file per op family).
#pragma once

#include <memory>

#include "backend/backend.h"

namespace xfer::cpu {

std::unique_ptr<ConvOp> make_conv(const ConvDesc& d);
std::unique_ptr<InnerProductOp> make_inner_product(const InnerProductDesc& d);
std::unique_ptr<PoolOp> make_pool(const PoolDesc& d);
std::unique_ptr<LrnOp> make_lrn(const LrnDesc& d);
std::unique_ptr<BatchNormOp> make_batch_norm(const BatchNormDesc& d);

}  // namespace xfer::cpu
