// data_sources.h: the trainer's data: HDF5 shards (--data) or the generated
// batch, and the mean image a run subtracts (a transfer's comes from its base).
#pragma once

#include <memory>

#include "comm/communicator.h"
#include "config/train_config.h"
#include "data/batch_source.h"
#include "net/net_spec.h"

namespace xfer {

struct DataSources {
  std::unique_ptr<TrainSource> train;
  std::unique_ptr<EvalSource> eval;
  SourceInfo info;
  // The mean image in use ([C,H,W] at the stored size), kept in checkpoints.
  int mean_c = 0, mean_h = 0, mean_w = 0;
  std::vector<float> mean;
};

// `base_mean` (may be empty) overrides the data folder's own mean.
DataSources open_data_sources(const TrainConfig& cfg, const NetSpec& spec, const Communicator& comm,
                              const std::vector<float>& base_mean, int base_c, int base_h, int base_w);

}  // namespace xfer
