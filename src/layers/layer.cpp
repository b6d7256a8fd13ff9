// layer.cpp: builds a layer from its spec.
#include "layers/layer.h"

#include "core/check.h"
#include "layers/layer_impl.h"

namespace xfer {

std::unique_ptr<Layer> make_layer(const LayerSpec& s, int outputs_override) {
  switch (s.type) {
    case LayerType::Conv: return std::make_unique<ConvLayer>(s);
    case LayerType::InnerProduct: {
      int out = s.outputs > 0 ? s.outputs : outputs_override;
      XFER_CHECK(out > 0, "layer " << s.name << " has no output count");
      return std::make_unique<InnerProductLayer>(s, out);
    }
    case LayerType::Pool: return std::make_unique<PoolLayer>(s);
    case LayerType::Lrn: return std::make_unique<LrnLayer>(s);
    case LayerType::Dropout: return std::make_unique<DropoutLayer>(s);
  }
  XFER_FAIL("unknown layer type for " << s.name);
}

}  // namespace xfer
