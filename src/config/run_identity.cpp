// run_identity.cpp: the run identity (see run_identity.h).
#include "config/run_identity.h"

#include <sstream>

#include "core/rng.h"
#include "data/manifest.h"

namespace xfer {

std::string data_identity_of(const TrainConfig& cfg) {
  return cfg.data.empty() ? "generated" : data_identity(read_manifest(cfg.data));
}

std::string run_identity(const TrainConfig& cfg, const std::string& data_identity,
                         const std::string& base_identity) {
  const SolverSpec& s = cfg.solver;
  std::ostringstream o;
  o.precision(17);
  o << "network " << cfg.network << "\ndata " << data_identity << "\nbase " << base_identity
    << "\ntransfer " << cfg.transfer_n << ' ' << cfg.transfer_mode << "\nfc8-outputs "
    << cfg.fc8_outputs << "\ndropout-ratio " << cfg.dropout_ratio << "\nsolver " << s.base_lr
    << ' ' << s.gamma << ' ' << s.lr_step << ' ' << s.max_iter << ' ' << s.momentum << ' '
    << s.weight_decay << ' ' << s.batch << ' ' << s.test_interval << ' ' << s.test_start << "\nseed " << cfg.seed
    << "\ntf32 " << cfg.tf32 << "\ntest-batches " << cfg.test_batches;
  if (cfg.data.empty())  // the generated batch is defined by these options
    o << "\ngenerated " << cfg.synthetic_classes << ' ' << cfg.synthetic_train << ' '
      << cfg.synthetic_val;
  return fnv1a_hex(o.str());
}

}  // namespace xfer
