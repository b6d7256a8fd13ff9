// test_shards.cpp: the shard format: write and read back, the manifest and
// mean, h5py and h5dump reading the files, temporary names, and the errors
// for bad shards.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "data/shard_source.h"
#include "data_test_util.h"
#include "io/atomic_file.h"

using namespace xfer;
using namespace xfer::test;

TEST(Shards, RoundTrip) {
  TempDir tmp("roundtrip");
  Manifest m = make_synthetic_folder(tmp.str(), "half0A", 50, 13);
  EXPECT_EQ(m.subsets["train"].num_images, 50);
  EXPECT_EQ(m.subsets["val"].num_images, 13);
  ASSERT_EQ(m.subsets["train"].shards.size(), 4u);  // 16 + 16 + 16 + 2
  EXPECT_EQ(m.subsets["train"].shards[3].num_images, 2);
  int64_t i = 0;
  for (const auto& sh : m.subsets["train"].shards) {
    ShardReader r(tmp.str() + "/half0A/" + sh.file);
    EXPECT_EQ(r.meta().split, "half0A");
    EXPECT_EQ(r.meta().subset, "train");
    EXPECT_EQ(r.meta().class_ids, (std::vector<int32_t>{100, 101, 102, 103, 104}));
    auto labels = r.read_labels();
    auto orig = r.read_orig_labels();
    auto keys = r.read_keys();
    std::vector<uint8_t> img(r.meta().image_bytes() * static_cast<size_t>(r.num_images()));
    r.read_images(0, r.num_images(), img.data());
    for (int64_t k = 0; k < r.num_images(); ++k, ++i) {
      EXPECT_EQ(labels[static_cast<size_t>(k)], synthetic_label(i, 5));
      EXPECT_EQ(orig[static_cast<size_t>(k)], 100 + synthetic_label(i, 5));
      EXPECT_EQ(keys[static_cast<size_t>(k)], "train:" + std::to_string(i));
      auto expect = synthetic_image(i, 8, 8);
      EXPECT_TRUE(std::equal(expect.begin(), expect.end(),
                             img.begin() + static_cast<ptrdiff_t>(k * 192)));
    }
    EXPECT_EQ(sh.sum(), file_checksum(tmp.str() + "/half0A/" + sh.file));
    // The raw offsets the loader reads with pread() point at the same bytes.
    auto offsets = r.image_file_offsets();
    ASSERT_EQ(offsets.size(), static_cast<size_t>(r.num_images()));
    std::ifstream file(tmp.str() + "/half0A/" + sh.file, std::ios::binary);
    for (int64_t k = 0; k < r.num_images(); ++k) {
      std::vector<char> raw(192);
      file.seekg(offsets[static_cast<size_t>(k)]);
      file.read(raw.data(), 192);
      EXPECT_TRUE(std::equal(raw.begin(), raw.end(), img.begin() + static_cast<ptrdiff_t>(k * 192),
                             [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; }));
    }
  }
  EXPECT_EQ(i, 50);
}

TEST(Shards, OffsetTableIsCheckedAgainstHdf5) {
  TempDir tmp("offsets");
  make_synthetic_folder(tmp.str(), "all", 16, 0, 5, 8, 8, 16);
  const std::string path = tmp.str() + "/all/train-00000.h5";
  const auto good = ShardReader(path).image_file_offsets();
  ASSERT_EQ(good.size(), 16u);
  {
    // A stale table, as after a repack that moved the chunks.
    H5Lock lock(h5_mutex());
    H5Id f(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Id::Kind::File);
    H5Id d(H5Dopen2(f, "image_offsets", H5P_DEFAULT), H5Id::Kind::Dataset);
    ASSERT_TRUE(d.valid());
    std::vector<int64_t> wrong(16, 12345);
    ASSERT_GE(H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, wrong.data()), 0);
  }
  EXPECT_EQ(ShardReader(path).image_file_offsets(), good);
}

TEST(Shards, OneImagePerChunkAtImageNetSize) {
  TempDir tmp("bigchunks");
  Manifest m = make_synthetic_folder(tmp.str(), "all", 3, 0, 2, 256, 256, 2);
  ShardReader r(tmp.str() + "/all/train-00000.h5");
  H5Lock lock(h5_mutex());
  H5Id f(H5Fopen(r.path().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Id::Kind::File);
  H5Id d(H5Dopen2(f, "images", H5P_DEFAULT), H5Id::Kind::Dataset);
  H5Id dcpl(H5Dget_create_plist(d), H5Id::Kind::Plist);
  hsize_t chunk[4];
  ASSERT_EQ(H5Pget_chunk(dcpl, 4, chunk), 4);
  EXPECT_EQ(chunk[0], 1u);
  EXPECT_EQ(chunk[1], 3u);
  EXPECT_EQ(chunk[2], 256u);
  EXPECT_EQ(r.image_file_offsets().size(), 2u);
}

TEST(Shards, ManifestCountsAndMean) {
  TempDir tmp("mean");
  Manifest m = make_synthetic_folder(tmp.str(), "all", 40, 10);
  Manifest r = read_manifest(tmp.str() + "/all");
  EXPECT_EQ(r.split, "all");
  EXPECT_EQ(r.dataset, "synthetic");
  EXPECT_EQ(r.channels, 3);
  EXPECT_EQ(r.class_names.size(), 5u);
  std::vector<int64_t> counts(5, 0);
  for (int i = 0; i < 40; ++i) ++counts[static_cast<size_t>(synthetic_label(i, 5))];
  EXPECT_EQ(r.subsets["train"].class_counts, counts);
  EXPECT_EQ(r.mean_num_images, 40);
  MeanImage mean = read_mean_image(tmp.str() + "/all");
  ASSERT_EQ(mean.data.size(), 192u);
  // Channel 0 is i % 256: mean of 0..39 = 19.5; channel 2 pixel (y=1,x=2) = 33.
  EXPECT_FLOAT_EQ(mean.data[0], 19.5f);
  EXPECT_FLOAT_EQ(mean.data[64], 0.0f);
  EXPECT_FLOAT_EQ(mean.data[128 + 8 + 2], 33.0f);
}

TEST(Shards, ReadableByH5pyAndH5dump) {
  TempDir tmp("h5py");
  make_synthetic_folder(tmp.str(), "half1B", 20, 5);
  const std::string shard = tmp.str() + "/half1B/train-00000.h5";
  std::string out;
  if (run_command("h5dump --version", &out) == 0) {
    ASSERT_EQ(run_command("h5dump -H " + shard, &out), 0) << out;
    EXPECT_TRUE(contains(out, "DATASET \"images\"")) << out;
    EXPECT_TRUE(contains(out, "H5T_STD_U8LE")) << out;
    ASSERT_EQ(run_command("h5dump -d mean " + tmp.str() + "/half1B/mean.h5", &out), 0) << out;
  }
  const std::string py = python_with("h5py, numpy");
  if (py.empty()) GTEST_SKIP() << "no python3 with h5py (Debian: python3-h5py); h5dump checked";
  const std::string script = tmp.str() + "/check.py";
  std::ofstream(script) << R"(import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
im = f['images']
assert im.dtype == np.uint8 and im.shape == (16, 3, 8, 8), (im.dtype, im.shape)
assert im.chunks[0] >= 1 and im.chunks[1:] == (3, 8, 8)
assert f['labels'].dtype == np.int32 and f['labels'].shape == (16,)
assert f['orig_labels'].dtype == np.int32
assert f['image_offsets'].dtype == np.int64 and f['image_offsets'].shape == (16,)
raw = open(sys.argv[1], 'rb').read()
o = int(f['image_offsets'][5])
assert raw[o:o + 192] == im[5].tobytes()
assert f['keys'][3].decode() == 'train:3'
a = f.attrs
assert a['schema_version'] == 1 and a['split'] == 'half1B' and a['subset'] == 'train'
assert (a['channels'], a['height'], a['width']) == (3, 8, 8)
assert list(a['class_ids']) == [100, 101, 102, 103, 104]
assert list(a['class_names'])[0] == 'class0'
assert int(im[5, 0, 0, 0]) == 5 and int(im[5, 2, 1, 2]) == 33
assert int(f['labels'][5]) == (5 * 7 + 3) % 5
m = h5py.File(sys.argv[2], 'r')['mean']
assert m.dtype == np.float32 and m.shape == (3, 8, 8)
print('ok')
)";
  ASSERT_EQ(run_command(py + " " + script + " " + shard + " " + tmp.str() + "/half1B/mean.h5", &out),
            0)
      << out;
  EXPECT_TRUE(contains(out, "ok"));
}

TEST(Shards, KilledWriteLeavesNoCompleteShard) {
  TempDir tmp("killed");
  const std::string path = tmp.str() + "/train-00000.h5";
  ShardMeta meta{"synthetic", "x", "train", 3, 8, 8, {0, 1}, {"a", "b"}};
  {
    ShardWriter w(path, meta, 0);
    auto img = synthetic_image(0, 8, 8);
    w.add(img.data(), 0, 0, "k");
    EXPECT_TRUE(fs::exists(temp_path_for(path)));
    EXPECT_FALSE(fs::exists(path));
    // Destroyed without finish(): as if the process had been stopped.
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(shard_complete(path));
  // A stray temporary file from a killed process is not a shard either.
  std::ofstream(path + ".tmp") << "partial";
  EXPECT_FALSE(shard_complete(path));
  {
    ShardWriter w(path, meta, 0);
    auto img = synthetic_image(0, 8, 8);
    w.add(img.data(), 1, 1, "k");
    w.finish();
  }
  EXPECT_TRUE(shard_complete(path));
  EXPECT_FALSE(fs::exists(temp_path_for(path)));
}

TEST(Shards, RerunSkipsFinishedShards) {
  TempDir tmp("rerun");
  make_synthetic_folder(tmp.str(), "all", 40, 0);
  const std::string dir = tmp.str() + "/all";
  const auto t0 = fs::last_write_time(dir + "/train-00000.h5");
  fs::remove(dir + "/train-00001.h5");
  ShardMeta meta{"synthetic", "all", "train", 3, 8, 8, {100, 101, 102, 103, 104},
                 {"class0", "class1", "class2", "class3", "class4"}};
  std::vector<int64_t> produced;
  write_planned_shards(dir, meta, 40, 16, 0, 1, [&](int64_t first, int64_t n, ShardWriter& w) {
    produced.push_back(first);
    for (int64_t i = first; i < first + n; ++i) {
      auto img = synthetic_image(i, 8, 8);
      w.add(img.data(), synthetic_label(i, 5), 100 + synthetic_label(i, 5), "train:" + std::to_string(i));
    }
  });
  EXPECT_EQ(produced, (std::vector<int64_t>{16}));
  EXPECT_EQ(fs::last_write_time(dir + "/train-00000.h5"), t0);
  // Shards of a run with other settings are not silently kept.
  const std::string e = error_of([&] {
    write_planned_shards(dir, meta, 40, 20, 0, 1, [](int64_t, int64_t, ShardWriter&) {});
  });
  EXPECT_TRUE(contains(e, "train-00000.h5") && contains(e, "other settings")) << e;
  meta.height = meta.width = 9;
  EXPECT_THROW(write_planned_shards(dir, meta, 40, 16, 0, 1, [](int64_t, int64_t, ShardWriter&) {}),
               std::runtime_error);
}

TEST(Shards, Errors) {
  TempDir tmp("errors");
  make_synthetic_folder(tmp.str(), "half0A", 40, 8);
  const std::string dir = tmp.str() + "/half0A";
  const std::string shard = dir + "/train-00001.h5";

  // Missing folder and manifest.
  std::string e = error_of([&] { read_manifest(tmp.str() + "/nope"); });
  EXPECT_TRUE(contains(e, "/nope") && contains(e, "missing")) << e;
  fs::create_directories(tmp.str() + "/empty");
  e = error_of([&] { read_manifest(tmp.str() + "/empty"); });
  EXPECT_TRUE(contains(e, "manifest.json") && contains(e, "missing")) << e;

  // Not HDF5 at all, and a truncated shard.
  const std::string junk = tmp.str() + "/junk.h5";
  std::ofstream(junk) << "this is not a shard";
  e = error_of([&] { ShardReader r(junk); });
  EXPECT_TRUE(contains(e, "junk.h5") && contains(e, "unreadable")) << e;
  const std::string cut = tmp.str() + "/cut.h5";
  fs::copy_file(shard, cut);
  fs::resize_file(cut, fs::file_size(cut) / 2);
  e = error_of([&] {
    ShardReader r(cut);
    std::vector<uint8_t> buf(192 * 16);
    r.read_images(0, 16, buf.data());
  });
  EXPECT_TRUE(contains(e, "cut.h5") && (contains(e, "truncated") || contains(e, "unreadable"))) << e;

  // Wrong schema version.
  const std::string old = tmp.str() + "/old.h5";
  fs::copy_file(shard, old);
  {
    H5Lock lock(h5_mutex());
    H5Id f(H5Fopen(old.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Id::Kind::File);
    ASSERT_TRUE(f.valid());
    h5_write_attr_int(f, "schema_version", 99, old);
  }
  e = error_of([&] { ShardReader r(old); });
  EXPECT_TRUE(contains(e, "old.h5") && contains(e, "schema version 99")) << e;

  // Label out of range.
  const std::string bad = tmp.str() + "/badlabel.h5";
  fs::copy_file(shard, bad);
  {
    H5Lock lock(h5_mutex());
    H5Id f(H5Fopen(bad.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Id::Kind::File);
    H5Id d(H5Dopen2(f, "labels", H5P_DEFAULT), H5Id::Kind::Dataset);
    std::vector<int32_t> l(16, 7);
    ASSERT_GE(H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, l.data()), 0);
  }
  e = error_of([&] { ShardReader(bad).read_labels(); });
  EXPECT_TRUE(contains(e, "badlabel.h5") && contains(e, "label 7") && contains(e, "out of range")) << e;

  // Image size that disagrees with the attributes.
  const std::string wrong = tmp.str() + "/wrongsize.h5";
  fs::copy_file(shard, wrong);
  {
    H5Lock lock(h5_mutex());
    H5Id f(H5Fopen(wrong.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Id::Kind::File);
    h5_write_attr_int(f, "height", 9, wrong);
  }
  e = error_of([&] { ShardReader r(wrong); });
  EXPECT_TRUE(contains(e, "wrongsize.h5") && contains(e, "image size mismatch")) << e;

  // A gap in the shard numbering is found when finalizing.
  fs::remove(shard);
  e = error_of([&] { finalize_split_dir(dir, "{}"); });
  EXPECT_TRUE(contains(e, "train-00001.h5") && contains(e, "missing shard")) << e;

  // Empty split.
  ShardMeta meta{"synthetic", "none", "train", 3, 8, 8, {0}, {"a"}};
  e = error_of([&] {
    write_planned_shards(tmp.str() + "/none", meta, 0, 16, 0, 1, [](int64_t, int64_t, ShardWriter&) {});
  });
  EXPECT_TRUE(contains(e, "empty split")) << e;
}
