// run_identity.cpp: the run identity (see run_identity.h).
#include "config/run_identity.h"

#include "core/rng.h"
#include "data/view.h"

namespace xfer {

std::string data_identity_of(const TrainConfig& cfg) {
  return cfg.data.empty() ? "generated" : data_folder_identity(cfg.data);
}

std::string run_identity(const TrainConfig& cfg, const std::string& data_identity,
                         const std::string& base_identity) {
  return fnv1a_hex(identity_text(cfg, data_identity, base_identity));
}

}  // namespace xfer
