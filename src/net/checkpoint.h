// checkpoint.h: HDF5 checkpoints of a network and its training state.
//
// Layout (schema "xfer.checkpoint", version 2; version 1 had no /buffers):
//   /params/<layer>/weights, /params/<layer>/bias      float32, the layer's shape
//                                                      (a batch normalisation's scale and shift)
//   /buffers/<layer>/running_mean, running_var         float32 [C], batch normalisation only
//   /momentum/<layer>/weights, /momentum/<layer>/bias  float32 (absent in models)
//   /mean                                              float32 [C,H,W], the mean image used
//   attributes: schema, schema_version, preset, num_outputs, frozen_layers,
//   iteration, data_epoch, data_index, rng (uint64 x4), config (the resolved
//   configuration, INI text), config_hash, cell_id, curve (JSON), wall_ms,
//   provenance (JSON). Strings are variable-length UTF-8; the fixed-length
//   strings of earlier checkpoints are read too.
// Files are written to a temporary name and renamed into place.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "data/batch_source.h"
#include "net/net.h"

namespace xfer {

struct TrainState {
  std::string preset;    // read back from a file; a save takes the net's own
  int num_outputs = 0;   // fc8's outputs, likewise
  int64_t iteration = 0;
  DataPosition data;
  std::array<uint64_t, 4> rng{};  // run seed, dropout seed (rank 0), data seed, 0
  std::string config_ini;
  std::string config_hash;
  std::string cell_id;
  std::string provenance_json;  // what wrote it (code and library versions, host, command)
  std::string curve_json;  // validation points so far (a resumed run keeps them)
  double wall_s = 0;       // training time so far
  int mean_c = 0, mean_h = 0, mean_w = 0;
  std::vector<float> mean;  // empty: no mean image
};

void save_checkpoint(const std::string& path, Net& net, const TrainState& st, bool with_momentum = true);
// Loads everything into `net` and returns the state. The file must come from
// the same preset with the same shapes; a mismatch names the layer and shapes.
TrainState load_checkpoint(const std::string& path, Net& net);
// Reads only the state (no weights): the mean image, iteration, hash.
TrainState read_checkpoint_state(const std::string& path);

// The transfer operation: copies parameter layers 1..n from the checkpoint at
// `path` into `net` by name, with a fatal shape check. fc8 is never copied.
void copy_layers(const std::string& path, Net& net, int n);
// The continued base: copies every parameter layer, fc8 included, the same
// way; a base whose fc8 has another number of outputs is refused, naming the
// file and the shapes. Momentum starts at zero (the schedule starts again).
void copy_all_layers(const std::string& path, Net& net);

}  // namespace xfer
