// test_tools.cpp: the data_prep binaries end to end: xfer_prep_fmnist on
// Debian's Fashion-MNIST (read back by the loader and by h5py), and
// xfer_make_splits against the paper's files.
#include <gtest/gtest.h>

#include <fstream>

#include "data/shard_source.h"
#include "data/view.h"
#include "data_test_util.h"

using namespace xfer;
using namespace xfer::test;

namespace {

const char* kFmnist = "/usr/share/datasets/fashion-mnist";

}  // namespace

TEST(Tools, PrepFashionMnist) {
  if (!fs::exists(std::string(kFmnist) + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << kFmnist << " absent (Debian: apt install dataset-fashion-mnist)";
  TempDir tmp("fmnist");
  const std::string out = tmp.str() + "/fmnist";
  std::string log;
  ASSERT_EQ(run_command(bin_dir() + "/xfer_prep_fmnist --out " + out + " --seeds 0,1", &log), 0)
      << log;
  // One store, the splits as views of it: no image is copied.
  EXPECT_TRUE(fs::exists(out + "/all/manifest.json"));
  for (const char* f : {"half0A", "half0B", "half1A", "half1B", "dissimA", "dissimB", "all-k25"}) {
    EXPECT_TRUE(fs::exists(out + "/" + f + "/view.json")) << f;
    EXPECT_FALSE(fs::exists(out + "/" + f + "/manifest.json")) << f;
  }
  Manifest all = read_manifest(out + "/all");
  EXPECT_EQ(all.subsets["train"].num_images, 60000);
  EXPECT_EQ(all.subsets["val"].num_images, 10000);
  EXPECT_EQ(all.channels, 1);
  EXPECT_EQ(all.height, 28);
  const View d = read_view(out + "/dissimA");
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"T-shirt/top", "Pullover", "Dress", "Coat", "Shirt"}));
  EXPECT_EQ(d.num_images("train"), 30000);
  EXPECT_EQ(d.num_images("val"), 5000);
  EXPECT_EQ(read_view(out + "/half0A").class_ids, (std::vector<int32_t>{0, 1, 3, 7, 8}));  // numpy seed 0
  EXPECT_EQ(read_view(out + "/all-k25").num_images("train"), 250);

  // The default preset's view: 24x24 random crops with mirroring, centre crops to test.
  ShardSourceOptions o;
  o.dir = out + "/half0A";
  o.crop = 24;
  auto train = open_train_shards(o);
  HostBatch b;
  train->next(128, b);
  EXPECT_EQ(b.n, 128);
  EXPECT_EQ(b.c, 1);
  EXPECT_EQ(b.h, 24);
  for (int32_t l : b.labels) EXPECT_TRUE(l >= 0 && l < 5);
  o.subset = "val";
  auto val = open_eval_shards(o);
  int64_t n = 0;
  while (val->next(1000, b)) n += b.n;
  EXPECT_EQ(n, 5000);

  // Rerunning keeps the finished shards and the current views.
  const auto t0 = fs::last_write_time(out + "/all/train-00000.h5");
  const auto v0 = fs::last_write_time(out + "/half0A/view.json");
  ASSERT_EQ(run_command(bin_dir() + "/xfer_prep_fmnist --out " + out + " --seeds 0,1", &log), 0) << log;
  EXPECT_EQ(fs::last_write_time(out + "/all/train-00000.h5"), t0);
  EXPECT_EQ(fs::last_write_time(out + "/half0A/view.json"), v0);

  const std::string py = python_with("h5py, numpy");
  if (py.empty()) GTEST_SKIP() << "no python3 with h5py; loader checked";
  const std::string script = tmp.str() + "/check.py";
  std::ofstream(script) << R"(import sys, json, gzip, h5py, numpy as np
root = sys.argv[1]
m = json.load(open(root + '/half0A/view.json'))
store = json.load(open(root + '/all/manifest.json'))
imgs, labels = [], []
for sh in store['subsets']['train']['shards']:
    f = h5py.File(root + '/all/' + sh['file'], 'r')
    imgs.append(f['images'][:]); labels.append(f['orig_labels'][:])
imgs = np.concatenate(imgs); labels = np.concatenate(labels)
view = np.isin(labels, m['class_ids'])
imgs, labels = imgs[view], labels[view]
raw = np.frombuffer(gzip.open(sys.argv[2] + '/train-images-idx3-ubyte.gz').read()[16:], np.uint8).reshape(-1, 1, 28, 28)
lab = np.frombuffer(gzip.open(sys.argv[2] + '/train-labels-idx1-ubyte.gz').read()[8:], np.uint8)
keep = np.isin(lab, m['class_ids'])
assert (imgs == raw[keep]).all() and (labels == lab[keep]).all()
mean = h5py.File(root + '/half0A/mean.h5', 'r')['mean'][:]
assert np.allclose(mean, raw[keep].astype(np.float64).mean(0), atol=1e-3)
print('ok')
)";
  ASSERT_EQ(run_command(py + " " + script + " " + out + " " + kFmnist, &log), 0) << log;
  EXPECT_TRUE(contains(log, "ok"));
}

TEST(Tools, PrepFashionMnistMissingSource) {
  TempDir tmp("fmnist_missing");
  std::string log;
  EXPECT_NE(run_command(bin_dir() + "/xfer_prep_fmnist --src " + tmp.str() + "/none --out " +
                            tmp.str() + "/out",
                        &log),
            0);
  EXPECT_TRUE(contains(log, tmp.str() + "/none") && contains(log, "missing")) << log;
  ASSERT_EQ(run_command(bin_dir() + "/xfer_prep_fmnist --help", &log), 0);
  EXPECT_TRUE(contains(log, "--seeds")) << log;
}

TEST(Tools, MakeSplitsChecksThePaperFiles) {
  const std::string paper = paper_dir();
  if (paper.empty()) GTEST_SKIP() << "../shared/paper not present";
  std::string log;
  EXPECT_EQ(run_command(bin_dir() + "/xfer_make_splits --seeds 0-3 --check " + paper + "/splits", &log), 0) << log;
  EXPECT_EQ(run_command(bin_dir() + "/xfer_make_splits --split natman --check " + paper + "/splits", &log), 0) << log;
  EXPECT_TRUE(contains(log, "match   natmanA")) << log;
  // A different seed does not match the paper's seed 0 files.
  TempDir tmp("splits");
  fs::create_directories(tmp.str());
  fs::copy_file(paper + "/splits/half0A_classes.txt", tmp.str() + "/half5A_classes.txt");
  fs::copy_file(paper + "/splits/half0B_classes.txt", tmp.str() + "/half5B_classes.txt");
  EXPECT_NE(run_command(bin_dir() + "/xfer_make_splits --seeds 5 --check " + tmp.str(), &log), 0);
}
