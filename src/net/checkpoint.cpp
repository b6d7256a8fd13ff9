// checkpoint.cpp: saving and loading networks and training state in HDF5.
#include "net/checkpoint.h"

#include <cstdio>

#include "core/check.h"
#include "io/atomic_file.h"
#include "io/h5.h"

namespace xfer {

namespace {

constexpr const char* kSchema = "xfer.checkpoint";
constexpr int64_t kSchemaVersion = 1;

std::vector<hsize_t> dims_of(const Shape& s, bool weights) {
  // Weights keep their full rank (OIHW or OI); biases are vectors.
  if (!weights) return {hsize_t(s.n())};
  if (s.h() == 1 && s.w() == 1) return {hsize_t(s.n()), hsize_t(s.c())};
  return {hsize_t(s.n()), hsize_t(s.c()), hsize_t(s.h()), hsize_t(s.w())};
}

void write_slot(h5::File& f, const std::string& group, Net& net, const ParamSlot& p, Tensor& buf) {
  std::vector<float> v(p.count());
  net.backend().download(v.data(), buf.data() + p.offset, v.size() * sizeof(float));
  const std::string base = "/" + group + "/" + p.layer->name();
  f.write_floats(base + "/weights", dims_of(p.layer->weight_shape(), true), v.data());
  f.write_floats(base + "/bias", dims_of(p.layer->bias_shape(), false), v.data() + p.weight_count);
}

void read_slot(const h5::File& f, const std::string& group, Net& net, const ParamSlot& p, Tensor& buf) {
  std::vector<float> v(p.count());
  const std::string base = "/" + group + "/" + p.layer->name();
  XFER_CHECK(f.exists(base + "/weights"),
             f.path() << ": has no layer '" << p.layer->name() << "' (not a checkpoint of this network?)");
  f.read_floats(base + "/weights", dims_of(p.layer->weight_shape(), true), v.data());
  f.read_floats(base + "/bias", dims_of(p.layer->bias_shape(), false), v.data() + p.weight_count);
  net.backend().upload(buf.data() + p.offset, v.data(), v.size() * sizeof(float));
}

void check_schema(const h5::File& f) {
  XFER_CHECK(f.has_attr("schema") && f.attr_string("schema") == kSchema,
             f.path() << ": not an xfer checkpoint (no schema attribute '" << kSchema << "')");
  int64_t v = f.attr_int("schema_version");
  XFER_CHECK(v == kSchemaVersion, f.path() << ": checkpoint schema version " << v
                                           << ", this build reads version " << kSchemaVersion);
}

}  // namespace

void save_checkpoint(const std::string& path, Net& net, const TrainState& st, bool with_momentum) {
  H5Lock lock(h5_mutex());  // the loader's reader thread may be inside HDF5
  // Built in memory, then written with checked writes: a full disk is our
  // error message, and the previous checkpoint stays until this one is
  // whole on disk and reads back.
  std::vector<char> bytes;
  {
    auto f = h5::File::create_in_memory(path);
    f.set_attr("schema", std::string(kSchema));
    f.set_attr("schema_version", kSchemaVersion);
    f.set_attr("preset", net.spec().preset);
    f.set_attr("num_outputs", int64_t(net.num_outputs()));
    f.set_attr("frozen_layers", int64_t(net.frozen_layers()));
    f.set_attr("iteration", st.iteration);
    f.set_attr("data_epoch", st.data.epoch);
    f.set_attr("data_index", st.data.index);
    f.set_attr("rng", std::vector<uint64_t>(st.rng.begin(), st.rng.end()));
    f.set_attr("config", st.config_ini);
    f.set_attr("config_hash", st.config_hash);
    f.set_attr("cell_id", st.cell_id);
    f.set_attr("curve", st.curve_json);
    if (!st.provenance_json.empty()) f.set_attr("provenance", st.provenance_json);
    f.set_attr("wall_ms", int64_t(st.wall_s * 1000));
    for (const auto& p : net.slots()) {
      write_slot(f, "params", net, p, net.params());
      if (with_momentum) write_slot(f, "momentum", net, p, net.momentum());
    }
    if (!st.mean.empty())
      f.write_floats("/mean", {hsize_t(st.mean_c), hsize_t(st.mean_h), hsize_t(st.mean_w)},
                     st.mean.data());
    bytes = f.image();
  }
  const std::string tmp = temp_path_for(path);
  write_file_checked(tmp, bytes.data(), bytes.size(), path);
  try {
    const TrainState back = read_checkpoint_state(tmp);
    XFER_CHECK(back.iteration == st.iteration && back.config_hash == st.config_hash,
               "it reads back with iteration " << back.iteration << " instead of " << st.iteration);
  } catch (const std::exception& e) {
    std::remove(tmp.c_str());
    XFER_FAIL("checkpoint " << path << " did not read back after writing; the previous one is kept: "
                            << e.what());
  }
  commit_file(tmp, path);
}

TrainState read_checkpoint_state(const std::string& path) {
  H5Lock lock(h5_mutex());
  auto f = h5::File::open_read(path);
  check_schema(f);
  TrainState st;
  st.iteration = f.attr_int("iteration");
  st.data.epoch = f.attr_int("data_epoch");
  st.data.index = f.attr_int("data_index");
  auto rng = f.attr_u64s("rng");
  XFER_CHECK(rng.size() == 4, path << ": rng attribute has " << rng.size() << " words, expected 4");
  std::copy(rng.begin(), rng.end(), st.rng.begin());
  st.config_ini = f.attr_string("config");
  st.config_hash = f.attr_string("config_hash");
  st.cell_id = f.attr_string("cell_id");
  st.curve_json = f.attr_string("curve");
  if (f.has_attr("provenance")) st.provenance_json = f.attr_string("provenance");
  st.wall_s = f.attr_int("wall_ms") / 1000.0;
  if (f.exists("/mean")) {
    auto d = f.dims("/mean");
    XFER_CHECK(d.size() == 3, path << ": /mean must be [C,H,W]");
    st.mean_c = int(d[0]);
    st.mean_h = int(d[1]);
    st.mean_w = int(d[2]);
    st.mean.resize(d[0] * d[1] * d[2]);
    f.read_floats("/mean", d, st.mean.data());
  }
  return st;
}

TrainState load_checkpoint(const std::string& path, Net& net) {
  H5Lock lock(h5_mutex());
  TrainState st = read_checkpoint_state(path);
  auto f = h5::File::open_read(path);
  const std::string preset = f.attr_string("preset");
  XFER_CHECK(preset == net.spec().preset, path << ": a checkpoint of network preset '" << preset
                                               << "', but this run builds '" << net.spec().preset << "'");
  for (const auto& p : net.slots()) {
    read_slot(f, "params", net, p, net.params());
    if (f.exists("/momentum/" + p.layer->name() + "/weights"))
      read_slot(f, "momentum", net, p, net.momentum());
    else
      net.backend().zero(net.momentum().data() + p.offset, p.count() * sizeof(float));
  }
  return st;
}

void copy_layers(const std::string& path, Net& net, int n) {
  XFER_CHECK(n >= 1 && n <= kMaxTransferLayer,
             "layers to copy must be in 1.." << kMaxTransferLayer << ", got " << n);
  H5Lock lock(h5_mutex());
  auto f = h5::File::open_read(path);
  check_schema(f);
  for (const auto& p : net.slots()) {
    if (p.transfer_index > n) continue;
    read_slot(f, "params", net, p, net.params());
    net.backend().zero(net.momentum().data() + p.offset, p.count() * sizeof(float));
  }
}

}  // namespace xfer
