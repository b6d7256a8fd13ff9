// checkpoint.cpp: saving and loading networks and training state in HDF5.
#include "net/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/check.h"
#include "io/atomic_file.h"
#include "io/h5.h"

namespace xfer {

namespace {

constexpr const char* kSchema = "xfer.checkpoint";
// Version 2 added /buffers (running statistics); version 1 files still load.
constexpr int64_t kSchemaVersion = 2;
constexpr const char* kBufferNames[2] = {"running_mean", "running_var"};

// A checkpoint of CaffeNet with momentum is about 460 MB: grow in large steps.
constexpr size_t kMemoryIncrement = size_t{64} << 20;

// The rank each tensor is stored with, PyTorch's: a convolution's weights
// OIHW (a 1x1 one too), a fully connected layer's OI, biases and a batch
// normalisation's scale vectors.
std::vector<hsize_t> dims_of(const Layer& layer, bool weights) {
  const Shape s = weights ? layer.weight_shape() : layer.bias_shape();
  const LayerType type = layer.spec().type;
  if (!weights || type == LayerType::BatchNorm) return {hsize_t(s.n())};
  if (type == LayerType::InnerProduct) return {hsize_t(s.n()), hsize_t(s.c())};
  return {hsize_t(s.n()), hsize_t(s.c()), hsize_t(s.h()), hsize_t(s.w())};
}

void write_slot(hid_t f, const std::string& path, const std::string& group, Net& net,
                const ParamSlot& p, Tensor& buf) {
  std::vector<float> v(p.count());
  net.backend().download(v.data(), buf.data() + p.offset, v.size() * sizeof(float));
  const std::string base = "/" + group + "/" + p.layer->name();
  h5_write_floats(f, base + "/weights", dims_of(*p.layer, true), v.data(), path);
  if (p.bias_count)  // a convolution followed by a batch normalisation has none
    h5_write_floats(f, base + "/bias", dims_of(*p.layer, false), v.data() + p.weight_count, path);
}

// A layer's buffers, [2, C] in the net (mean, then variance), as two vectors.
void write_buffers(hid_t f, const std::string& path, Net& net, const ParamSlot& p) {
  if (!p.buffer_count) return;
  std::vector<float> v(p.buffer_count);
  net.backend().download(v.data(), net.buffers().data() + p.buffer_offset, v.size() * sizeof(float));
  const size_t half = v.size() / 2;
  for (int k = 0; k < 2; ++k)
    h5_write_floats(f, "/buffers/" + p.layer->name() + "/" + kBufferNames[k], {hsize_t(half)}, v.data() + k * half,
                    path);
}

void read_buffers(hid_t f, const std::string& path, Net& net, const ParamSlot& p) {
  if (!p.buffer_count) return;
  const std::string base = "/buffers/" + p.layer->name();
  XFER_CHECK(h5_exists(f, base + "/" + kBufferNames[0]),
             path << ": has no running statistics for layer '" << p.layer->name()
                  << "' (a checkpoint of version 1, or of a network without batch normalisation)");
  std::vector<float> v(p.buffer_count);
  const size_t half = v.size() / 2;
  for (int k = 0; k < 2; ++k)
    h5_read_floats(f, base + "/" + kBufferNames[k], {hsize_t(half)}, v.data() + k * half, path);
  for (size_t i = 0; i < v.size(); ++i)
    XFER_CHECK(std::isfinite(v[i]) && (i < half || v[i] >= 0),
               path << ": " << kBufferNames[i / half] << " of layer '" << p.layer->name() << "' holds " << v[i]
                    << " (element " << i % half << "): refused");
  net.backend().upload(net.buffers().data() + p.buffer_offset, v.data(), v.size() * sizeof(float));
}

void read_slot(hid_t f, const std::string& path, const std::string& group, Net& net,
               const ParamSlot& p, Tensor& buf) {
  std::vector<float> v(p.count());
  const std::string base = "/" + group + "/" + p.layer->name();
  XFER_CHECK(h5_exists(f, base + "/weights"),
             path << ": has no layer '" << p.layer->name() << "' (not a checkpoint of this network?)");
  h5_read_floats(f, base + "/weights", dims_of(*p.layer, true), v.data(), path);
  if (p.bias_count)
    h5_read_floats(f, base + "/bias", dims_of(*p.layer, false), v.data() + p.weight_count, path);
  // Weights enter here: a NaN copied in would train to a "finished" result.
  for (size_t i = 0; i < v.size(); ++i)
    XFER_CHECK(std::isfinite(v[i]), path << ": " << group << " of layer '" << p.layer->name() << "' hold "
                                          << (std::isnan(v[i]) ? "NaN" : "an infinity") << " (element " << i
                                          << " of " << v.size() << "): refused");
  net.backend().upload(buf.data() + p.offset, v.data(), v.size() * sizeof(float));
}

void check_schema(hid_t f, const std::string& path) {
  XFER_CHECK(h5_has_attr(f, "schema") && h5_read_attr_str(f, "schema", path) == kSchema,
             path << ": not an xfer checkpoint (no schema attribute '" << kSchema << "')");
  const int64_t v = h5_read_attr_int(f, "schema_version", path);
  XFER_CHECK(v >= 1 && v <= kSchemaVersion, path << ": checkpoint schema version " << v
                                                  << ", this build reads versions 1.." << kSchemaVersion);
}

void write_state(hid_t f, const std::string& path, const Net& net, const TrainState& st) {
  h5_write_attr_str(f, "schema", kSchema, path);
  h5_write_attr_int(f, "schema_version", kSchemaVersion, path);
  h5_write_attr_str(f, "preset", net.spec().preset, path);
  h5_write_attr_int(f, "num_outputs", net.num_outputs(), path);
  h5_write_attr_int(f, "frozen_layers", net.frozen_layers(), path);
  h5_write_attr_int(f, "iteration", st.iteration, path);
  h5_write_attr_int(f, "data_epoch", st.data.epoch, path);
  h5_write_attr_int(f, "data_index", st.data.index, path);
  h5_write_attr_u64s(f, "rng", std::vector<uint64_t>(st.rng.begin(), st.rng.end()), path);
  h5_write_attr_str(f, "config", st.config_ini, path);
  h5_write_attr_str(f, "config_hash", st.config_hash, path);
  h5_write_attr_str(f, "cell_id", st.cell_id, path);
  h5_write_attr_str(f, "curve", st.curve_json, path);
  if (!st.provenance_json.empty()) h5_write_attr_str(f, "provenance", st.provenance_json, path);
  h5_write_attr_int(f, "wall_ms", int64_t(st.wall_s * 1000), path);
}

}  // namespace

void save_checkpoint(const std::string& path, Net& net, const TrainState& st, bool with_momentum) {
  H5Lock lock(h5_mutex());  // the loader's reader thread may be inside HDF5
  // Built in memory, then written with checked writes: a full disk is our
  // error message, and the previous checkpoint stays until this one is
  // whole on disk and reads back.
  std::vector<char> bytes;
  {
    H5Id f = h5_create_in_memory(path, kMemoryIncrement);
    write_state(f, path, net, st);
    for (const auto& p : net.slots()) {
      write_slot(f, path, "params", net, p, net.params());
      write_buffers(f, path, net, p);
      if (with_momentum) write_slot(f, path, "momentum", net, p, net.momentum());
    }
    if (!st.mean.empty())
      h5_write_floats(f, "/mean", {hsize_t(st.mean_c), hsize_t(st.mean_h), hsize_t(st.mean_w)},
                      st.mean.data(), path);
    bytes = h5_file_image(f, path);
  }
  write_file_atomic(path, bytes.data(), bytes.size(), [&](const std::string& tmp) {
    try {
      const TrainState back = read_checkpoint_state(tmp);
      XFER_CHECK(back.iteration == st.iteration && back.config_hash == st.config_hash,
                 "it reads back with iteration " << back.iteration << " instead of " << st.iteration);
    } catch (const std::exception& e) {
      XFER_FAIL("checkpoint " << path << " did not read back after writing; the previous one is kept: "
                              << e.what());
    }
  });
}

TrainState read_checkpoint_state(const std::string& path) {
  H5Lock lock(h5_mutex());
  H5Id f = h5_open_read(path);
  check_schema(f, path);
  TrainState st;
  st.preset = h5_read_attr_str(f, "preset", path);
  const int64_t outputs = h5_read_attr_int(f, "num_outputs", path);
  XFER_CHECK(outputs > 0 && outputs <= std::numeric_limits<int>::max(),
             path << ": num_outputs " << outputs << " is not a count of fc8 outputs");
  st.num_outputs = int(outputs);
  st.iteration = h5_read_attr_int(f, "iteration", path);
  st.data.epoch = h5_read_attr_int(f, "data_epoch", path);
  st.data.index = h5_read_attr_int(f, "data_index", path);
  auto rng = h5_read_attr_u64s(f, "rng", path);
  XFER_CHECK(rng.size() == 4, path << ": rng attribute has " << rng.size() << " words, expected 4");
  std::copy(rng.begin(), rng.end(), st.rng.begin());
  st.config_ini = h5_read_attr_str(f, "config", path);
  st.config_hash = h5_read_attr_str(f, "config_hash", path);
  st.cell_id = h5_read_attr_str(f, "cell_id", path);
  st.curve_json = h5_read_attr_str(f, "curve", path);
  if (h5_has_attr(f, "provenance")) st.provenance_json = h5_read_attr_str(f, "provenance", path);
  st.wall_s = h5_read_attr_int(f, "wall_ms", path) / 1000.0;
  if (h5_exists(f, "/mean")) {
    auto d = h5_dims_stored(h5_open_dataset(f, "/mean", path), sizeof(float), path);
    XFER_CHECK(d.size() == 3, path << ": /mean must be [C,H,W]");
    st.mean_c = int(d[0]);
    st.mean_h = int(d[1]);
    st.mean_w = int(d[2]);
    st.mean.resize(d[0] * d[1] * d[2]);
    h5_read_floats(f, "/mean", d, st.mean.data(), path);
  }
  return st;
}

TrainState load_checkpoint(const std::string& path, Net& net) {
  H5Lock lock(h5_mutex());
  TrainState st = read_checkpoint_state(path);
  H5Id f = h5_open_read(path);
  const std::string preset = h5_read_attr_str(f, "preset", path);
  XFER_CHECK(preset == net.spec().preset, path << ": a checkpoint of network preset '" << preset
                                               << "', but this run builds '" << net.spec().preset << "'");
  for (const auto& p : net.slots()) {
    read_slot(f, path, "params", net, p, net.params());
    read_buffers(f, path, net, p);
    if (h5_exists(f, "/momentum/" + p.layer->name() + "/weights"))
      read_slot(f, path, "momentum", net, p, net.momentum());
    else
      net.backend().zero(net.momentum().data() + p.offset, p.count() * sizeof(float));
  }
  return st;
}

namespace {

// Parameter layers 1..n of the checkpoint at `path` into `net`, momentum zeroed.
void copy_up_to(const std::string& path, Net& net, int n) {
  H5Lock lock(h5_mutex());
  H5Id f = h5_open_read(path);
  check_schema(f, path);
  const std::string preset = h5_read_attr_str(f, "preset", path);
  XFER_CHECK(preset == net.spec().preset, path << ": a checkpoint of network " << preset << ", but this run builds "
                                               << net.spec().preset << ": its layers cannot be copied");
  for (const auto& p : net.slots()) {
    if (p.transfer_index > n) continue;
    read_slot(f, path, "params", net, p, net.params());
    read_buffers(f, path, net, p);
    net.backend().zero(net.momentum().data() + p.offset, p.count() * sizeof(float));
  }
}

}  // namespace

void copy_layers(const std::string& path, Net& net, int n) {
  XFER_CHECK(n >= 1 && n <= net.spec().transfer_layers(), "layers to copy must be in 1.." << net.spec().transfer_layers()
                                                                                      << " for network " << net.spec().preset
                                                                                      << ", got " << n);
  copy_up_to(path, net, n);
}

void copy_all_layers(const std::string& path, Net& net) {
  int top = 0;
  for (const auto& p : net.slots()) top = std::max(top, p.transfer_index);
  copy_up_to(path, net, top);
}

}  // namespace xfer
