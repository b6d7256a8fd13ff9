// test_checkpoint.cpp: checkpoints round-trip exactly, are written
// atomically, and refuse another network with a message naming what differs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "backend/backend.h"
#include "core/check.h"
#include "net/checkpoint.h"
#include "net/net_fixtures.h"

namespace xfer {
namespace {

TEST(Checkpoint, RoundTripIsExact) {
  auto be = make_backend("cpu", 0, 1);
  NetSpec spec = net_preset("small");
  auto dir = testing::temp_dir("ckpt");
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
  auto dir = testing::temp_dir("ckpt_bad");
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

}  // namespace
}  // namespace xfer
