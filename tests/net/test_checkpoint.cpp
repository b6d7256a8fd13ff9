// test_checkpoint.cpp: checkpoints round-trip exactly, are written
// atomically, write their strings as variable-length UTF-8 while still
// reading older ones' fixed-length strings, and refuse another network with a
// message naming what differs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "backend/backend.h"
#include "core/check.h"
#include "io/h5.h"
#include "net/checkpoint.h"
#include "net/net_fixtures.h"

namespace xfer {
namespace {

TEST(Checkpoint, RoundTripIsExact) {
  auto be = make_backend("cpu", 0, 1);
  NetSpec spec = net_preset("small");
  testing::TempDir scratch("ckpt");
  const std::string dir = scratch.str();
  Net a(*be, spec, 8, 10);
  a.init_params(1);
  auto b = testing::synthetic_batch(spec, 8, 10);
  testing::train_step(a, b, 0);
  TrainState st;
  st.iteration = 17;
  st.data = {2, 345};
  st.rng = {1, 2, 3, 4};
  st.config_hash = "abc";
  st.cell_id = "half0-AB-n3-frozen";
  st.curve_json = "[]";
  st.mean = {0.5f, 0.25f, 0.125f, 1.f};
  st.mean_c = 1;
  st.mean_h = 2;
  st.mean_w = 2;
  save_checkpoint(dir + "/c.h5", a, st);
  // Nothing temporary is left beside it.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);

  Net c(*be, spec, 8, 10);
  TrainState r = load_checkpoint(dir + "/c.h5", c);
  EXPECT_EQ(c.params().to_host(), a.params().to_host());
  EXPECT_EQ(c.momentum().to_host(), a.momentum().to_host());
  EXPECT_EQ(r.iteration, 17);
  EXPECT_EQ(r.data.epoch, 2);
  EXPECT_EQ(r.data.index, 345);
  EXPECT_EQ(r.rng, st.rng);
  EXPECT_EQ(r.cell_id, st.cell_id);
  EXPECT_EQ(r.mean, st.mean);
}

TEST(Checkpoint, RefusesAnotherPresetOrTruncatedFile) {
  auto be = make_backend("cpu", 0, 1);
  testing::TempDir scratch("ckpt_bad");
  const std::string dir = scratch.str();
  Net small(*be, net_preset("small"), 2, 10);
  save_checkpoint(dir + "/small.h5", small, TrainState{});
  Net big(*be, net_preset("caffenet"), 1, 10);
  try {
    load_checkpoint(dir + "/small.h5", big);
    FAIL() << "a small-preset checkpoint loaded into caffenet";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("small"), std::string::npos) << m;
    EXPECT_NE(m.find("caffenet"), std::string::npos) << m;
  }
  // A truncated copy is named as such.
  auto size = std::filesystem::file_size(dir + "/small.h5");
  std::filesystem::copy_file(dir + "/small.h5", dir + "/cut.h5");
  std::filesystem::resize_file(dir + "/cut.h5", size / 3);
  Net again(*be, net_preset("small"), 2, 10);
  EXPECT_THROW(load_checkpoint(dir + "/cut.h5", again), Error);
  EXPECT_THROW(load_checkpoint(dir + "/missing.h5", again), Error);
}

// The string attributes a checkpoint holds (provenance only when given).
const char* const kStringAttrs[] = {"schema", "preset", "config", "config_hash", "cell_id",
                                    "curve", "provenance"};

TrainState state_with_strings() {
  TrainState st;
  st.iteration = 5;
  st.config_ini = "[solver]\nbase_lr = 0.01\n";
  st.config_hash = "0123456789abcdef";
  st.cell_id = "half0A-n3-frozen";
  st.curve_json = "[{\"iteration\":5,\"top1\":0.5}]";
  st.provenance_json = "{\"host\":\"n\u00e9\"}";
  return st;
}

TEST(Checkpoint, StringsAreVariableLengthUtf8) {
  auto be = make_backend("cpu", 0, 1);
  testing::TempDir scratch("ckpt_strings");
  const std::string dir = scratch.str();
  Net net(*be, net_preset("small"), 2, 10);
  save_checkpoint(dir + "/c.h5", net, state_with_strings());
  H5Lock lock(h5_mutex());
  H5Id f(H5Fopen((dir + "/c.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Id::Kind::File);
  ASSERT_TRUE(f.valid());
  for (const char* name : kStringAttrs) {
    H5Id a(H5Aopen(f, name, H5P_DEFAULT), H5Id::Kind::Attribute);
    ASSERT_TRUE(a.valid()) << name;
    H5Id t(H5Aget_type(a), H5Id::Kind::Datatype);
    EXPECT_GT(H5Tis_variable_str(t), 0) << name << " is a fixed-length string";
    EXPECT_EQ(H5Tget_cset(t), H5T_CSET_UTF8) << name;
  }
}

// Rewrites every string attribute of a checkpoint as the earlier versions
// wrote them: fixed-length, NUL-terminated, UTF-8 (h5py read those as bytes).
void make_strings_fixed_length(const std::string& path) {
  H5Lock lock(h5_mutex());
  H5Id f(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Id::Kind::File);
  ASSERT_TRUE(f.valid());
  for (const char* name : kStringAttrs) {
    const std::string v = h5_read_attr_str(f, name, path);
    ASSERT_GE(H5Adelete(f, name), 0) << name;
    H5Id type(H5Tcopy(H5T_C_S1), H5Id::Kind::Datatype);
    H5Tset_size(type, v.size() + 1);
    H5Tset_strpad(type, H5T_STR_NULLTERM);
    H5Tset_cset(type, H5T_CSET_UTF8);
    H5Id space(H5Screate(H5S_SCALAR), H5Id::Kind::Dataspace);
    H5Id a(H5Acreate2(f, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Id::Kind::Attribute);
    ASSERT_GE(H5Awrite(a, type, v.c_str()), 0) << name;
    H5Id back(H5Aget_type(a), H5Id::Kind::Datatype);
    ASSERT_EQ(H5Tis_variable_str(back), 0) << name;
  }
}

TEST(Checkpoint, ReadsOlderFixedLengthStrings) {
  auto be = make_backend("cpu", 0, 1);
  testing::TempDir scratch("ckpt_old_strings");
  const std::string dir = scratch.str();
  Net a(*be, net_preset("small"), 2, 10);
  a.init_params(3);
  const TrainState st = state_with_strings();
  save_checkpoint(dir + "/old.h5", a, st);
  ASSERT_NO_FATAL_FAILURE(make_strings_fixed_length(dir + "/old.h5"));

  const TrainState r = read_checkpoint_state(dir + "/old.h5");
  EXPECT_EQ(r.config_ini, st.config_ini);
  EXPECT_EQ(r.config_hash, st.config_hash);
  EXPECT_EQ(r.cell_id, st.cell_id);
  EXPECT_EQ(r.curve_json, st.curve_json);
  EXPECT_EQ(r.provenance_json, st.provenance_json);
  Net b(*be, net_preset("small"), 2, 10);
  EXPECT_EQ(load_checkpoint(dir + "/old.h5", b).iteration, 5);
  EXPECT_EQ(b.params().to_host(), a.params().to_host());
  Net c(*be, net_preset("small"), 2, 10);
  copy_layers(dir + "/old.h5", c, 2);  // checks the schema string too
}

}  // namespace
}  // namespace xfer
