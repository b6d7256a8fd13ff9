// test_similarity_gpu.cpp: xfer_similarity's forward passes on the CUDA
// backend give the CPU's CKA (skipped, saying why, where no GPU is usable).
// Self-contained, for the GPU pack: a generated 1 x 28 x 28 store and two
// small-net checkpoints at different initialisations, written here.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/gpu_test_util.h"
#include "data/data_test_util.h"
#include "net/checkpoint.h"
#include "similarity/representations.h"

namespace xfer {
namespace {

// A store of `n` validation (and 16 training) gray 28 x 28 images of 5 classes,
// each image a different mix of two gradients.
std::string write_gray_store(const std::string& root) {
  const std::string dir = root + "/gray";
  for (const char* subset : {"train", "val"}) {
    ShardMeta meta;
    meta.dataset = "gray";
    meta.split = "gray";
    meta.subset = subset;
    meta.channels = 1;
    meta.height = meta.width = 28;
    for (int c = 0; c < 5; ++c) {
      meta.class_ids.push_back(c);
      meta.class_names.push_back("class" + std::to_string(c));
    }
    const int64_t total = std::string(subset) == "val" ? 120 : 16;
    write_planned_shards(dir, meta, total, 64, 0, 1, [&](int64_t first, int64_t cnt, ShardWriter& w) {
      for (int64_t i = first; i < first + cnt; ++i) {
        std::vector<uint8_t> img(28 * 28);
        for (int y = 0; y < 28; ++y)
          for (int x = 0; x < 28; ++x) img[y * 28 + x] = uint8_t((i * 37 + x * (i % 7 + 1) + y * (i % 5 + 2)) % 256);
        w.add(img.data(), int32_t(i % 5), int32_t(i % 5), std::string(subset) + std::to_string(i));
      }
    });
  }
  finalize_split_dir(dir, "{\"test\": true}");
  return dir;
}

std::string write_checkpoint(const std::string& path, const std::string& data, uint64_t seed) {
  auto be = make_backend("cpu", 0, 1);
  Net net(*be, net_preset("small"), 4, 5);
  net.init_params(seed);
  const MeanImage mean = read_mean_image(data);
  TrainState st;
  st.config_hash = "test" + std::to_string(seed);
  st.mean = mean.data;
  st.mean_c = mean.c;
  st.mean_h = mean.h;
  st.mean_w = mean.w;
  save_checkpoint(path, net, st);
  return path;
}

std::vector<double> cka_matrix(const std::string& backend, const std::string& a, const std::string& b,
                               const std::string& data) {
  auto be = make_backend(backend, 0, 2);
  const SimilarityImages im{data, 120, 40, 1};
  RepresentationStream sa(*be, parse_similarity_net(a), im, 2), sb(*be, parse_similarity_net(b), im, 2);
  CkaSums sums(sa.boundary_count(), sb.boundary_count());
  std::vector<Gram> ga, gb;
  while (sa.next(ga) && sb.next(gb)) sums.add(ga, gb);
  std::vector<double> m;
  for (int i = 1; i <= sums.layers_a(); ++i)
    for (int j = 1; j <= sums.layers_b(); ++j) m.push_back(sums.cka(i, j, a, b));
  return m;
}

// The generated store and checkpoints (CPU only): a net against itself is 1
// on the diagonal, and two initialisations differ, so the GPU test compares
// values that say something.
TEST(SimilarityGpuFixture, GivesOneForANetAgainstItselfOnTheCpu) {
  testing::TempDir scratch("similarity_gpu");
  const std::string data = write_gray_store(scratch.str());
  const std::string a = write_checkpoint(scratch.str() + "/a.h5", data, 7);
  const std::string b = write_checkpoint(scratch.str() + "/b.h5", data, 8);
  const std::vector<double> self = cka_matrix("cpu", a, a, data), other = cka_matrix("cpu", a, b, data);
  for (int n = 0; n < 8; ++n) EXPECT_NEAR(self[size_t(n) * 8 + n], 1.0, 1e-9);
  EXPECT_LT(other[7 * 8 + 7], 0.999);
}

TEST(SimilarityGpu, CudaForwardPassesGiveTheCpusCka) {
  XFER_REQUIRE_GPU();
  testing::TempDir scratch("similarity_gpu");
  const std::string data = write_gray_store(scratch.str());
  const std::string a = write_checkpoint(scratch.str() + "/a.h5", data, 7);
  const std::string b = write_checkpoint(scratch.str() + "/b.h5", data, 8);
  const std::vector<double> cpu = cka_matrix("cpu", a, b, data), gpu = cka_matrix("cuda", a, b, data);
  ASSERT_EQ(cpu.size(), 64u);
  double worst = 0;
  for (size_t i = 0; i < cpu.size(); ++i) worst = std::max(worst, std::fabs(cpu[i] - gpu[i]));
  EXPECT_LT(worst, 1e-4) << "largest |CKA(cuda) - CKA(cpu)| over the 64 layer pairs";
}

}  // namespace
}  // namespace xfer
