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
    case LayerType::Pool: return make_pool_layer(s);
    case LayerType::Lrn: return make_lrn_layer(s);
    case LayerType::Dropout: return make_dropout_layer(s);
  }
  XFER_FAIL("unknown layer type for " << s.name);
}

}  // namespace xfer
