// test_loader.cpp: the shard sources: preprocessing (mean at the crop's
// pixels, crops, mirrors, centre crop), determinism and exact resume, rank
// slicing (R ranks see what one rank sees, each example once per epoch), and
// the errors the trainer can meet.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "data/shard_source.h"
#include "data_test_util.h"

using namespace xfer;
using namespace xfer::test;

namespace {

constexpr int kTrain = 50, kVal = 13, kSide = 8;

struct Folder {
  TempDir tmp{"loader"};
  std::string dir;
  Folder() {
    make_synthetic_folder(tmp.str(), "half0A", kTrain, kVal);
    dir = tmp.str() + "/half0A";
  }
};

ShardSourceOptions opts(const std::string& dir, int crop = 0) {
  ShardSourceOptions o;
  o.dir = dir;
  o.crop = crop;
  o.seed = 11;
  return o;
}

// The example id of image n of a batch (channels 0 and 1 are constant).
int64_t id_of(const HostBatch& b, int n, const MeanImage& mean) {
  const size_t per = static_cast<size_t>(b.c) * b.h * b.w;
  const size_t plane = static_cast<size_t>(b.h) * b.w;
  // The mean of channels 0/1 is constant over pixels too.
  const double c0 = b.images[per * static_cast<size_t>(n)] + mean.data[0];
  const double c1 = b.images[per * static_cast<size_t>(n) + plane] + mean.data[static_cast<size_t>(mean.h) * mean.w];
  return std::lround(c0) + 256 * std::lround(c1);
}

std::vector<int64_t> ids(const HostBatch& b, const MeanImage& mean) {
  std::vector<int64_t> v;
  for (int n = 0; n < b.n; ++n) v.push_back(id_of(b, n, mean));
  return v;
}

// One image of a batch as a vector, for exact comparisons.
std::vector<float> image(const HostBatch& b, int n) {
  const size_t per = static_cast<size_t>(b.c) * b.h * b.w;
  return {b.images.begin() + static_cast<ptrdiff_t>(per * n),
          b.images.begin() + static_cast<ptrdiff_t>(per * (n + 1))};
}

}  // namespace

TEST(Loader, EvalFullImageIsImageMinusMean) {
  Folder f;
  ShardSourceOptions o = opts(f.dir);
  o.subset = "val";
  auto src = open_eval_shards(o);
  MeanImage mean = read_mean_image(f.dir);
  SourceInfo info = src->info();
  EXPECT_EQ(info.channels, 3);
  EXPECT_EQ(info.height, kSide);
  EXPECT_EQ(info.num_classes, 5);
  EXPECT_EQ(info.num_examples, kVal);
  EXPECT_EQ(info.class_names[2], "class2");
  src->begin();
  HostBatch b;
  int64_t seen = 0;
  while (src->next(5, b)) {
    for (int n = 0; n < b.n; ++n, ++seen) {
      auto img = synthetic_image(seen, kSide, kSide);
      auto got = image(b, n);
      for (size_t p = 0; p < img.size(); ++p) ASSERT_FLOAT_EQ(got[p] + mean.data[p], img[p]);
      EXPECT_EQ(b.labels[static_cast<size_t>(n)], synthetic_label(seen, 5));
    }
  }
  EXPECT_EQ(seen, kVal);
  EXPECT_EQ(b.n, 0);
  // begin() restarts the pass.
  src->begin();
  ASSERT_TRUE(src->next(100, b));
  EXPECT_EQ(b.n, kVal);
  EXPECT_FALSE(src->next(100, b));
}

TEST(Loader, EvalCentreCropAndMeanAtTheSamePixels) {
  Folder f;
  ShardSourceOptions o = opts(f.dir, 4);
  o.subset = "val";
  // A mean with distinct values per pixel shows that the crop's window of it is used.
  o.mean.c = 3;
  o.mean.h = o.mean.w = kSide;
  for (int i = 0; i < 3 * kSide * kSide; ++i) o.mean.data.push_back(0.5f * static_cast<float>(i));
  auto src = open_eval_shards(o);
  EXPECT_EQ(src->info().height, 4);
  HostBatch b;
  ASSERT_TRUE(src->next(3, b));
  const int off = (kSide - 4) / 2;
  for (int n = 0; n < b.n; ++n) {
    auto img = synthetic_image(n, kSide, kSide);
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x) {
          const size_t sp = (static_cast<size_t>(c) * kSide + off + y) * kSide + off + x;
          const float want = static_cast<float>(img[sp]) - o.mean.data[sp];
          ASSERT_FLOAT_EQ(b.images[((static_cast<size_t>(n) * 3 + c) * 4 + y) * 4 + x], want);
        }
  }
}

TEST(Loader, RandomCropsAndMirrorsAreConsistent) {
  Folder f;
  ShardSourceOptions o = opts(f.dir, 5);
  o.mean.c = 3;
  o.mean.h = o.mean.w = kSide;
  o.mean.data.assign(3 * kSide * kSide, 0.0f);
  auto src = open_train_shards(o);
  std::set<std::pair<int, int>> offsets;
  int mirrored = 0, total = 0;
  HostBatch b;
  for (int k = 0; k < 10; ++k) {
    src->next(10, b);
    for (int n = 0; n < b.n; ++n) {
      // Channel 2 is 16x+y: its first row tells offset and direction.
      const float* ch2 = b.images.data() + (static_cast<size_t>(n) * 3 + 2) * 25;
      const int v0 = static_cast<int>(ch2[0]), v1 = static_cast<int>(ch2[1]);
      const bool mirror = v1 < v0;
      const int y0 = v0 % 16;
      const int x0 = mirror ? v0 / 16 - 4 : v0 / 16;
      ASSERT_TRUE(x0 >= 0 && x0 <= 3 && y0 >= 0 && y0 <= 3) << v0 << " " << v1;
      for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 5; ++x) {
          const int sx = mirror ? x0 + 4 - x : x0 + x;
          ASSERT_EQ(static_cast<int>(ch2[y * 5 + x]), 16 * sx + y0 + y);
        }
      offsets.insert({y0, x0});
      mirrored += mirror;
      ++total;
    }
  }
  EXPECT_GT(offsets.size(), 8u);
  EXPECT_GT(mirrored, total / 4);
  EXPECT_LT(mirrored, 3 * total / 4);
  // mirror = false never flips.
  o.mirror = false;
  auto plain = open_train_shards(o);
  plain->next(40, b);
  for (int n = 0; n < b.n; ++n) {
    const float* ch2 = b.images.data() + (static_cast<size_t>(n) * 3 + 2) * 25;
    EXPECT_LT(ch2[0], ch2[1]);
  }
}

TEST(Loader, EachEpochIsAPermutation) {
  Folder f;
  auto src = open_train_shards(opts(f.dir, 4));
  MeanImage mean = read_mean_image(f.dir);
  std::vector<int64_t> stream;
  HostBatch b;
  for (int k = 0; k < 15; ++k) {  // 15 x 7 = 105 > 2 epochs of 50
    src->next(7, b);
    ASSERT_EQ(b.n, 7);
    ASSERT_EQ(b.labels.size(), 7u);
    auto v = ids(b, mean);
    for (int n = 0; n < b.n; ++n)
      EXPECT_EQ(b.labels[static_cast<size_t>(n)], synthetic_label(v[static_cast<size_t>(n)], 5));
    stream.insert(stream.end(), v.begin(), v.end());
  }
  for (int e = 0; e < 2; ++e) {
    std::set<int64_t> s(stream.begin() + e * kTrain, stream.begin() + (e + 1) * kTrain);
    EXPECT_EQ(s.size(), static_cast<size_t>(kTrain)) << "epoch " << e;
    EXPECT_EQ(*s.begin(), 0);
    EXPECT_EQ(*s.rbegin(), kTrain - 1);
  }
  EXPECT_NE(std::vector<int64_t>(stream.begin(), stream.begin() + kTrain),
            std::vector<int64_t>(stream.begin() + kTrain, stream.begin() + 2 * kTrain))
      << "epochs are shuffled differently";
  DataPosition p = src->position();
  EXPECT_EQ(p.epoch, 2);
  EXPECT_EQ(p.index, 5);
}

TEST(Loader, RanksTogetherSeeWhatOneRankSees) {
  Folder f;
  MeanImage mean = read_mean_image(f.dir);
  constexpr int kBatch = 12, kSteps = 11;  // 132 examples: 2.6 epochs
  auto one = open_train_shards(opts(f.dir, 5));
  std::vector<HostBatch> single(kSteps);
  for (auto& b : single) one->next(kBatch, b);
  for (int world : {2, 3, 4}) {
    std::vector<std::unique_ptr<TrainSource>> ranks;
    for (int r = 0; r < world; ++r) {
      ShardSourceOptions o = opts(f.dir, 5);
      o.rank = r;
      o.world = world;
      ranks.push_back(open_train_shards(o));
    }
    // Rank r's j-th example is stream position r + j*world, in epoch (r + j*world) / N.
    std::map<int64_t, int> per_epoch_count[3];
    std::vector<int64_t> taken(static_cast<size_t>(world), 0);
    for (int k = 0; k < kSteps; ++k) {
      // Same multiset of (id, preprocessed image) as the single rank's batch.
      std::multiset<std::pair<int64_t, std::vector<float>>> want, got;
      for (int n = 0; n < kBatch; ++n) want.insert({id_of(single[k], n, mean), image(single[k], n)});
      for (int r = 0; r < world; ++r) {
        HostBatch b;
        ranks[static_cast<size_t>(r)]->next(kBatch / world, b);
        for (int n = 0; n < b.n; ++n) {
          got.insert({id_of(b, n, mean), image(b, n)});
          const int64_t g = r + taken[static_cast<size_t>(r)]++ * world;
          if (g / kTrain < 2) ++per_epoch_count[g / kTrain][id_of(b, n, mean)];
        }
      }
      EXPECT_EQ(got, want) << "world " << world << " step " << k;
    }
    for (int e = 0; e < 2; ++e) {
      EXPECT_EQ(per_epoch_count[e].size(), static_cast<size_t>(kTrain));
      for (const auto& [id, c] : per_epoch_count[e]) EXPECT_EQ(c, 1) << "id " << id;
    }
  }
}

TEST(Loader, ResumeRepeatsTheStreamExactly) {
  Folder f;
  for (int world : {1, 3}) {
    for (int r = 0; r < world; ++r) {
      ShardSourceOptions o = opts(f.dir, 5);
      o.rank = r;
      o.world = world;
      auto a = open_train_shards(o);
      HostBatch b;
      for (int k = 0; k < 9; ++k) a->next(4, b);  // ends mid-epoch for every world
      const DataPosition pos = a->position();
      std::vector<HostBatch> rest(8);
      for (auto& x : rest) a->next(4, x);  // crosses an epoch boundary
      auto resumed = open_train_shards(o);
      resumed->seek(pos);
      EXPECT_EQ(resumed->position().epoch, pos.epoch);
      EXPECT_EQ(resumed->position().index, pos.index);
      for (auto& x : rest) {
        resumed->next(4, b);
        EXPECT_EQ(b.images, x.images) << "world " << world << " rank " << r;
        EXPECT_EQ(b.labels, x.labels);
      }
      // Seeking the same source back also repeats it.
      a->seek(pos);
      a->next(4, b);
      EXPECT_EQ(b.images, rest[0].images);
    }
  }
}

TEST(Loader, SeedsAndBatchSizeChanges) {
  Folder f;
  auto a = open_train_shards(opts(f.dir, 5));
  auto same = open_train_shards(opts(f.dir, 5));
  ShardSourceOptions o = opts(f.dir, 5);
  o.seed = 12;
  auto other = open_train_shards(o);
  HostBatch x, y, z;
  a->next(20, x);
  same->next(20, y);
  other->next(20, z);
  EXPECT_EQ(x.images, y.images);
  EXPECT_NE(x.images, z.images);
  // Changing the batch size goes on from the same place in the stream.
  HostBatch p1, p2, q;
  a->next(6, p1);
  a->next(10, p2);
  same->next(16, q);
  std::vector<float> joined = p1.images;
  joined.insert(joined.end(), p2.images.begin(), p2.images.end());
  EXPECT_EQ(joined, q.images);
}

TEST(Loader, ReadingFromHdf5EqualsReadingFromMemory) {
  Folder f;
  auto run = [&](const char* limit_mb) {
    ::setenv("XFER_DATA_MEMORY_MB", limit_mb, 1);
    ShardSourceOptions o = opts(f.dir, 5);
    o.threads = 3;
    o.prefetch = 2;
    auto src = open_train_shards(o);
    o.subset = "val";
    auto val = open_eval_shards(o);
    std::vector<float> all;
    HostBatch b;
    for (int k = 0; k < 12; ++k) {
      src->next(9, b);
      all.insert(all.end(), b.images.begin(), b.images.end());
    }
    while (val->next(4, b)) all.insert(all.end(), b.images.begin(), b.images.end());
    ::unsetenv("XFER_DATA_MEMORY_MB");
    return all;
  };
  const auto streamed = run("0");
  const auto in_memory = run("1024");
  EXPECT_EQ(streamed.size(), static_cast<size_t>((12 * 9 + kVal) * 75));
  EXPECT_EQ(streamed, in_memory);
}

TEST(Loader, EvalRanksCoverTheSetOnce) {
  Folder f;
  MeanImage mean = read_mean_image(f.dir);
  for (int world : {1, 2, 3, 5}) {
    std::map<int64_t, int> count;
    for (int r = 0; r < world; ++r) {
      ShardSourceOptions o = opts(f.dir, 4);
      o.subset = "val";
      o.rank = r;
      o.world = world;
      auto src = open_eval_shards(o);
      src->begin();
      HostBatch b;
      while (src->next(2, b))
        for (auto id : ids(b, mean)) ++count[id];
    }
    EXPECT_EQ(count.size(), static_cast<size_t>(kVal)) << "world " << world;
    for (const auto& [id, c] : count) EXPECT_EQ(c, 1) << "world " << world << " id " << id;
  }
}

TEST(Loader, Errors) {
  Folder f;
  // Missing folder.
  std::string e = error_of([&] { open_train_shards(opts(f.tmp.str() + "/half9Z")); });
  EXPECT_TRUE(contains(e, "half9Z") && contains(e, "missing")) << e;
  // Crop larger than the images.
  e = error_of([&] { open_train_shards(opts(f.dir, 9)); });
  EXPECT_TRUE(contains(e, "crop 9")) << e;
  // Mean of another size.
  ShardSourceOptions o = opts(f.dir, 4);
  o.mean.c = 3;
  o.mean.h = o.mean.w = 7;
  o.mean.data.assign(147, 0.0f);
  e = error_of([&] { open_train_shards(o); });
  EXPECT_TRUE(contains(e, "image size mismatch")) << e;
  // Bad rank.
  o = opts(f.dir);
  o.rank = 2;
  o.world = 2;
  EXPECT_THROW(open_eval_shards(o), std::runtime_error);
  // Empty split: a folder whose validation subset has no images.
  TempDir tmp("empty");
  make_synthetic_folder(tmp.str(), "all-k1", 10, 0);
  o = opts(tmp.str() + "/all-k1");
  o.subset = "val";
  e = error_of([&] { open_eval_shards(o); });
  EXPECT_TRUE(contains(e, "all-k1") && contains(e, "empty split")) << e;
  // Wrong schema version in the manifest.
  {
    std::ifstream in(f.dir + "/manifest.json");
    nlohmann::json j = nlohmann::json::parse(in);
    j["schema_version"] = 0;
    std::ofstream(f.dir + "/manifest.json") << j.dump();
  }
  e = error_of([&] { open_train_shards(opts(f.dir)); });
  EXPECT_TRUE(contains(e, "manifest.json") && contains(e, "schema version 0")) << e;
  // Manifest and shards disagree on the image size.
  {
    std::ifstream in(f.dir + "/manifest.json");
    nlohmann::json j = nlohmann::json::parse(in);
    j["schema_version"] = 1;
    j["height"] = 9;
    std::ofstream(f.dir + "/manifest.json") << j.dump();
  }
  e = error_of([&] { open_train_shards(opts(f.dir)); });
  EXPECT_TRUE(contains(e, "train-00000.h5") && contains(e, "image size mismatch")) << e;
  // A truncated shard.
  finalize_split_dir(f.dir, "{}");
  fs::resize_file(f.dir + "/train-00002.h5", 1000);
  e = error_of([&] { open_train_shards(opts(f.dir)); });
  EXPECT_TRUE(contains(e, "train-00002.h5") &&
              (contains(e, "truncated") || contains(e, "unreadable")))
      << e;
}
