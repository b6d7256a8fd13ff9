// layer.cpp: builds a layer from its spec.
#include "layers/layer.h"

#include "core/check.h"
#include "layers/layer_impl.h"

namespace xfer {

std::unique_ptr<Layer> make_layer(const LayerSpec& s, int outputs_override) {
  switch (s.type) {
    case LayerType::Conv: return make_conv_layer(s);
    case LayerType::InnerProduct: {
      int out = s.outputs > 0 ? s.outputs : outputs_override;
      XFER_CHECK(out > 0, "layer " << s.name << " has no output count");
      return make_inner_product_layer(s, out);
    }
    case LayerType::Pool:
    case LayerType::GlobalAvgPool: return make_pool_layer(s);
    case LayerType::Lrn: return make_lrn_layer(s);
    case LayerType::Dropout: return make_dropout_layer(s);
    case LayerType::BatchNorm: return make_batch_norm_layer(s);
    case LayerType::Add: return make_add_layer(s);
  }
  XFER_FAIL("unknown layer type for " << s.name);
}

Shape Layer::plan_inputs(const std::vector<Shape>& in) {
  XFER_CHECK(in.size() == 1, "layer " << name() << " takes one input, not " << in.size());
  return plan(in[0]);
}

const char* bn_mode_name(BnMode m) {
  switch (m) {
    case BnMode::Train: return "train";
    case BnMode::Eval: return "eval";
    case BnMode::Frozen: return "frozen";
  }
  return "?";
}

BnMode parse_bn_mode(const std::string& s) {
  for (BnMode m : {BnMode::Train, BnMode::Eval, BnMode::Frozen})
    if (s == bn_mode_name(m)) return m;
  XFER_FAIL("batch normalisation behaviour '" << s << "' is not one of train, eval, frozen");
}

}  // namespace xfer
