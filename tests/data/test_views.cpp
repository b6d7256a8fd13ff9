// test_views.cpp: splits as views of one store (data/view.h): a view gives
// exactly the images, labels and mean a copied half gave, in memory and
// streamed; reduced sets take the first K per class; a view opens only the
// store shards holding its classes; its identity is its content's.
#include <gtest/gtest.h>

#include "views_fixture.h"

namespace xfer::test {
namespace {

TEST_F(Views, GiveTheImagesLabelsAndMeanOfACopiedHalf) {
  const View v = make("viewA", {103, 100, 102});
  EXPECT_EQ(v.class_ids, (std::vector<int32_t>{100, 102, 103}));
  for (const char* subset : {"train", "val"}) {
    const Images a = read_all(root() + "/copyA", subset), b = read_all(root() + "/viewA", subset);
    EXPECT_EQ(a.labels, b.labels) << subset;
    EXPECT_EQ(a.pixels, b.pixels) << subset;
  }
  const MeanImage ma = read_mean_image(root() + "/copyA"), mb = read_mean_image(root() + "/viewA");
  EXPECT_EQ(ma.data, mb.data);
  // Streamed (pread at the store's offsets) gives the same as in memory.
  ::setenv("XFER_DATA_MEMORY_MB", "0", 1);
  const Images streamed = read_all(root() + "/viewA", "train");
  ::unsetenv("XFER_DATA_MEMORY_MB");
  EXPECT_EQ(streamed.pixels, read_all(root() + "/copyA", "train").pixels);
}

TEST_F(Views, ReducedSetTakesTheFirstKOfEachClassInStoreOrder) {
  copy_half("copyK", {0, 1, 2, 3, 4}, 4);
  const View v = make("all-k4", {100, 101, 102, 103, 104}, 4);
  EXPECT_EQ(v.class_counts.at("train"), (std::vector<int64_t>(kClasses, 4)));
  EXPECT_EQ(v.num_images("val"), 30);  // the validation set stays whole
  EXPECT_EQ(read_all(root() + "/all-k4", "train").pixels, read_all(root() + "/copyK", "train").pixels);
}

// <root>/all: 10 training images of each of classes a, b, c, in class order
// (as image folders and ImageNet are stored), `shard_size` a shard.
void write_class_ordered_store(const std::string& root, int64_t shard_size) {
  ShardMeta meta{"synthetic", "all", "train", 3, 8, 8, {0, 1, 2}, {"a", "b", "c"}};
  write_planned_shards(root + "/all", meta, 30, shard_size, 0, 1, [&](int64_t first, int64_t n, ShardWriter& w) {
    for (int64_t i = first; i < first + n; ++i) w.add(synthetic_image(i, 8, 8).data(), static_cast<int32_t>(i / 10), 0, "k");
  });
  finalize_split_dir(root + "/all", "{}");
}

TEST_F(Views, OpenOnlyTheShardsHoldingTheirClasses) {
  // A store whose train shards each hold one class: a view of class 1 must
  // not need the others (removing them does not matter to it).
  TempDir t("views_sorted");
  write_class_ordered_store(t.str(), 10);
  make_view(t.str(), {"b", "class b", {}, ""}, {"b", {1}, 0});
  fs::remove(t.str() + "/all/train-00000.h5");
  fs::remove(t.str() + "/all/train-00002.h5");
  const Images b = read_all(t.str() + "/b", "train");
  ASSERT_EQ(b.labels.size(), 10u);
  EXPECT_EQ(b.pixels[0], synthetic_image(10, 8, 8));
}

TEST_F(Views, ASparseViewReadsItsRunsAsACopyDoes) {
  // One class of five: read run by run from the store, in memory and streamed.
  copy_half("copy1", {1}, 0);
  make("view1", {101});
  EXPECT_EQ(read_all(root() + "/view1", "train").pixels, read_all(root() + "/copy1", "train").pixels);
  ::setenv("XFER_DATA_MEMORY_MB", "0", 1);
  const Images streamed = read_all(root() + "/view1", "val");
  ::unsetenv("XFER_DATA_MEMORY_MB");
  EXPECT_EQ(streamed.pixels, read_all(root() + "/copy1", "val").pixels);
}

TEST_F(Views, AReducedSetReadsOnlyTheShardsItsFirstImagesLieIn) {
  // A class-ordered store, 5 images a shard: class c in shards 2c and 2c+1.
  TempDir t("views_reduced");
  write_class_ordered_store(t.str(), 5);
  make_view(t.str(), {"all-k3", "", {}, ""}, {"all-k3", {0, 1, 2}, 3});
  for (const char* unread : {"train-00001.h5", "train-00003.h5", "train-00005.h5"})
    fs::remove(t.str() + "/all/" + unread);
  const Images k3 = read_all(t.str() + "/all-k3", "train");
  ASSERT_EQ(k3.labels, (std::vector<int32_t>{0, 0, 0, 1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(k3.pixels[3], synthetic_image(10, 8, 8));
}

TEST_F(Views, IdentityIsTheContentsNotThePath) {
  make("viewA", {100, 102, 103});
  make("viewB", {101, 104});
  const std::string a = data_folder_identity(root() + "/viewA");
  EXPECT_NE(a, data_folder_identity(root() + "/viewB"));
  EXPECT_NE(a, data_folder_identity(root() + "/copyA"));
  TempDir other("views_copy");
  fs::copy(root(), other.str(), fs::copy_options::recursive);
  EXPECT_EQ(a, data_folder_identity(other.str() + "/viewA"));
}

TEST_F(Views, AreMadeOnlyWhenNotCurrent) {
  ViewSpec v{"viewA", {100, 102}, 0};
  EXPECT_FALSE(view_is_current(root(), v));
  make_view(root(), {"test", "", {}, ""}, v);
  EXPECT_TRUE(view_is_current(root(), v));
  v.class_ids = {100, 103};
  EXPECT_FALSE(view_is_current(root(), v));
}

}  // namespace
}  // namespace xfer::test
