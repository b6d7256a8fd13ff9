// run_identity.h: what a training run is, as one hash that the trainer and the
// grid both compute. It is made of what defines the trained network: the
// options (never paths, threads, the backend or how often it prints), the data
// by its identity (data_identity() of its manifest) and the base by its own run
// identity. A checkpoint resumes, and a grid cell counts as done, only under
// the same identity, so both survive a symlink, a moved results folder and
// data copied elsewhere, and neither survives a change of what they mean.
#pragma once

#include <string>

#include "config/train_config.h"

namespace xfer {

// The data identity of the run's --data folder (read from its manifest,
// throwing naming the folder), or "generated" for the generated batch.
std::string data_identity_of(const TrainConfig& cfg);

// 16 hex digits. `base_identity` is the base's own run identity (recorded in
// its checkpoint and result.json); empty when the run copies no layers.
std::string run_identity(const TrainConfig& cfg, const std::string& data_identity,
                         const std::string& base_identity);

}  // namespace xfer
