// test_faults_checksums.cpp: damaged data is found before it is used. Bytes
// flipped in a shard or in the mean, labels rewritten to other valid
// classes, a damaged HDF5 header: the loader stops with one line naming the
// file and both checksums; a prep rerun converts a damaged shard again and
// never records its checksum; xfer_verify_data reports each bad file; an IDX
// header claiming billions of images is an error naming the file.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>

#include "data/shard_source.h"
#include "data_prep/fmnist_idx.h"
#include "data_prep/view_maker.h"
#include "fault_test_util.h"

using namespace xfer;
using namespace xfer::test;

namespace {

// The error of opening `dir`'s training subset and taking a whole epoch in
// batches of 8 ("" when there is none), read in memory or streamed.
std::string training_error(const std::string& dir, bool streaming, int64_t n) {
  if (streaming)
    ::setenv("XFER_DATA_MEMORY_MB", "0", 1);
  else
    ::unsetenv("XFER_DATA_MEMORY_MB");
  ShardSourceOptions o;
  o.dir = dir;
  const std::string e = error_of([&] {
    auto src = open_train_shards(o);
    HostBatch b;
    for (int64_t done = 0; done < n; done += 8) src->next(8, b);
  });
  ::unsetenv("XFER_DATA_MEMORY_MB");
  return e;
}

// Names the file and gives the recorded and the computed checksum.
void expect_mismatch(const std::string& error, const std::string& path, uint32_t recorded) {
  const std::string computed = crc_hex(file_checksum(path).crc32);
  EXPECT_TRUE(contains(error, path + ": checksum mismatch (recorded " + crc_hex(recorded) +
                                  ", computed " + computed))
      << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}

// Rewrites a shard's labels to other valid classes, as h5py would.
void relabel(const std::string& path, int k) {
  H5Lock lock(h5_mutex());
  H5Id f(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Id::Kind::File);
  H5Id d(H5Dopen2(f, "labels", H5P_DEFAULT), H5Id::Kind::Dataset);
  ASSERT_TRUE(d.valid());
  H5Id space(H5Dget_space(d), H5Id::Kind::Dataspace);
  std::vector<int32_t> l(static_cast<size_t>(H5Sget_simple_extent_npoints(space)));
  ASSERT_GE(H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, l.data()), 0);
  for (auto& v : l) v = (v + 1) % k;
  ASSERT_GE(H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, l.data()), 0);
}

}  // namespace

// ---------------------------------------------------------------------------
// A. The loader checks what it trains on

TEST(DataFaults, FlippedBytesInAShardStopTheRunBeforeItsFirstBatch) {
  for (bool streaming : {false, true}) {
    TempDir tmp("flip");
    const Manifest m = make_synthetic_folder(tmp.str(), "half0A", 16, 8);  // one train shard
    const std::string dir = tmp.str() + "/half0A";
    const std::string shard = dir + "/train-00000.h5";
    ASSERT_EQ(training_error(dir, streaming, 16), "");
    flip_bytes(shard, static_cast<int64_t>(fs::file_size(shard) / 2), 64);
    expect_mismatch(training_error(dir, streaming, 8), shard, m.subsets.at("train").shards[0].crc32);
  }
}

TEST(DataFaults, LabelsRewrittenToOtherValidClassesStopTheRun) {
  for (bool streaming : {false, true}) {
    TempDir tmp("relabel");
    const Manifest m = make_synthetic_folder(tmp.str(), "half0A", 40, 8);
    const std::string dir = tmp.str() + "/half0A";
    const std::string shard = dir + "/train-00001.h5";
    relabel(shard, 5);
    ASSERT_NO_THROW(ShardReader(shard).read_labels());  // every label still valid
    expect_mismatch(training_error(dir, streaming, 40), shard, m.subsets.at("train").shards[1].crc32);
  }
}

TEST(DataFaults, ValidationShardsAreCheckedToo) {
  TempDir tmp("val");
  const Manifest m = make_synthetic_folder(tmp.str(), "half0A", 16, 8);
  const std::string dir = tmp.str() + "/half0A";
  relabel(dir + "/val-00000.h5", 5);
  ShardSourceOptions o;
  o.dir = dir;
  o.subset = "val";
  expect_mismatch(error_of([&] { open_eval_shards(o); }), dir + "/val-00000.h5",
                  m.subsets.at("val").shards[0].crc32);
}

TEST(DataFaults, DamagedMeanStopsTheRun) {
  TempDir tmp("mean");
  const Manifest m = make_synthetic_folder(tmp.str(), "half0A", 16, 8);
  const std::string dir = tmp.str() + "/half0A";
  ASSERT_TRUE(m.mean_sum);
  EXPECT_EQ(*m.mean_sum, file_checksum(dir + "/mean.h5"));
  flip_bytes(dir + "/mean.h5", static_cast<int64_t>(fs::file_size(dir + "/mean.h5") / 2), 64);
  expect_mismatch(error_of([&] { read_mean_image(dir); }), dir + "/mean.h5", m.mean_sum->crc32);
  expect_mismatch(training_error(dir, false, 8), dir + "/mean.h5", m.mean_sum->crc32);
}

TEST(DataFaults, ManifestWithoutMeanChecksumIsRefused) {
  TempDir tmp("oldmean");
  make_synthetic_folder(tmp.str(), "half0A", 16, 8);
  const std::string dir = tmp.str() + "/half0A";
  nlohmann::json j = nlohmann::json::parse(read_file(dir + "/manifest.json"));
  j["mean"].erase("crc32");
  j["mean"].erase("bytes");
  std::ofstream(dir + "/manifest.json") << j.dump();
  const std::string e = error_of([&] { read_mean_image(dir); });
  EXPECT_TRUE(contains(e, "manifest.json: no checksum recorded for mean.h5")) << e;
}

// ---------------------------------------------------------------------------
// A. Prep records only checksums of files it wrote

TEST(DataFaults, RerunConvertsADamagedShardAgainAndNeverRecordsItsChecksum) {
  TempDir tmp("rerun");
  const Manifest good = make_synthetic_folder(tmp.str(), "all", 40, 8);
  const std::string dir = tmp.str() + "/all";
  const std::string shard = dir + "/train-00001.h5";
  const FileSum written = good.subsets.at("train").shards[1].sum();
  EXPECT_EQ(read_sidecar(shard), written);
  flip_bytes(shard, static_cast<int64_t>(fs::file_size(shard) / 2), 64);

  // Finalizing alone (the derive stage) refuses the damaged shard; the
  // manifest stays as it was.
  const std::string before = read_file(dir + "/manifest.json");
  expect_mismatch(error_of([&] { finalize_split_dir(dir, "{}"); }), shard, written.crc32);
  EXPECT_EQ(read_file(dir + "/manifest.json"), before);

  // A rerun says so in one line and writes the shard again.
  ::testing::internal::CaptureStderr();
  const Manifest again = make_synthetic_folder(tmp.str(), "all", 40, 8);
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(said, shard + ": checksum mismatch (recorded " + crc_hex(written.crc32)) &&
              contains(said, "converting it again"))
      << said;
  // Same settings, same bytes: the recorded checksum is the writer's, and true.
  EXPECT_EQ(again.subsets.at("train").shards[1].sum(), written);
  EXPECT_EQ(file_checksum(shard), written);
  EXPECT_EQ(training_error(dir, false, 40), "");
}

TEST(DataFaults, ShardWithoutRecordedChecksumIsConvertedAgain) {
  TempDir tmp("nosidecar");
  make_synthetic_folder(tmp.str(), "all", 40, 8);
  const std::string dir = tmp.str() + "/all";
  fs::remove(sidecar_path(dir + "/train-00000.h5"));
  const std::string e = error_of([&] { finalize_split_dir(dir, "{}"); });
  EXPECT_TRUE(contains(e, "train-00000.h5: no checksum recorded")) << e;
  ::testing::internal::CaptureStderr();
  make_synthetic_folder(tmp.str(), "all", 40, 8);
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(said, "train-00000.h5: no checksum recorded") &&
              contains(said, "converting it again"))
      << said;
  EXPECT_TRUE(read_sidecar(dir + "/train-00000.h5"));
}

TEST(DataFaults, MakingAViewChecksItsStoreFirst) {
  TempDir tmp("derive");
  make_synthetic_folder(tmp.str(), "all", 40, 8);
  const Manifest all = read_manifest(tmp.str() + "/all");
  relabel(tmp.str() + "/all/train-00002.h5", 5);
  expect_mismatch(error_of([&] { make_view(tmp.str(), {"half0", "", {}, ""}, {"half0A", {100, 102}, 0}); }), tmp.str() + "/all/train-00002.h5",
                  all.subsets.at("train").shards[2].crc32);
  EXPECT_FALSE(fs::exists(tmp.str() + "/half0A/view.json"));
}

// ---------------------------------------------------------------------------
// A. xfer_verify_data

TEST(DataFaults, VerifyToolReportsEachBadFileOnItsOwnLine) {
  const std::string tool = bin_dir() + "/xfer_verify_data";
  TempDir tmp("verify");
  make_synthetic_folder(tmp.str(), "half0A", 40, 8);
  make_synthetic_folder(tmp.str(), "half0B", 40, 8);
  std::string out;
  ASSERT_EQ(run_command(tool + " " + tmp.str(), &out), 0) << out;
  EXPECT_TRUE(contains(out, "verify [")) << out;  // the progress bar
  ASSERT_EQ(run_command(tool + " " + tmp.str() + "/half0A " + tmp.str() + "/half0B", &out), 0) << out;

  flip_bytes(tmp.str() + "/half0A/train-00000.h5", 4000, 64);
  relabel(tmp.str() + "/half0B/val-00000.h5", 5);
  flip_bytes(tmp.str() + "/half0B/mean.h5", 1000, 8);
  fs::resize_file(tmp.str() + "/half0B/train-00002.h5", 1000);
  ASSERT_EQ(run_command("(" + tool + " " + tmp.str() + " 2>/dev/null)", &out), 1) << out;
  std::vector<std::string> lines;
  for (size_t at = 0, nl; (nl = out.find('\n', at)) != std::string::npos; at = nl + 1)
    lines.push_back(out.substr(at, nl - at));
  ASSERT_EQ(lines.size(), 4u) << out;
  for (const char* f : {"half0A/train-00000.h5", "half0B/val-00000.h5", "half0B/mean.h5",
                        "half0B/train-00002.h5"})
    EXPECT_TRUE(contains(out, std::string(f) + ": checksum mismatch (recorded ")) << f << "\n" << out;
  EXPECT_TRUE(contains(out, "truncated")) << out;

  EXPECT_EQ(run_command(tool + " " + tmp.str() + "/nowhere", &out), 1);
  EXPECT_TRUE(contains(out, "nowhere: missing data folder")) << out;
}

TEST(DataFaults, VerifyToolAfterPrepFashionMnist) {
  const std::string src = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(src + "/train-images-idx3-ubyte.gz")) GTEST_SKIP() << src << " absent";
  TempDir tmp("fmnist_verify");
  const std::string prep = bin_dir() + "/xfer_prep_fmnist --seeds '' --reduced '' --no-dissim --out " +
                           tmp.str() + "/fmnist";
  const std::string verify = bin_dir() + "/xfer_verify_data " + tmp.str() + "/fmnist";
  std::string out;
  ASSERT_EQ(run_command(prep, &out), 0) << out;
  ASSERT_EQ(run_command(verify, &out), 0) << out;
  const std::string shard = tmp.str() + "/fmnist/all/train-00000.h5";
  flip_bytes(shard, static_cast<int64_t>(fs::file_size(shard) / 2), 64);
  ASSERT_EQ(run_command("(" + verify + " 2>/dev/null)", &out), 1) << out;
  EXPECT_TRUE(contains(out, shard + ": checksum mismatch")) << out;
  ASSERT_EQ(run_command(prep, &out), 0) << out;
  EXPECT_TRUE(contains(out, shard + ": checksum mismatch") && contains(out, "converting it again"))
      << out;
  EXPECT_EQ(run_command(verify, &out), 0) << out;
}

// ---------------------------------------------------------------------------
// D. Diagnostics that name the file and the damage

TEST(DataFaults, DamagedShardHeaderIsReportedAsDamage) {
  TempDir tmp("header");
  const Manifest m = make_synthetic_folder(tmp.str(), "half0A", 16, 8);
  const std::string dir = tmp.str() + "/half0A";
  const std::string shard = dir + "/train-00000.h5";
  // The link names of the root group: with "images" garbled, HDF5 itself
  // finds no dataset of that name.
  const std::string bytes = read_file(shard);
  const auto at = bytes.find(std::string("\0images\0", 8));
  ASSERT_NE(at, std::string::npos);
  flip_bytes(shard, static_cast<int64_t>(at + 1), 6);
  std::string e = error_of([&] { ShardReader r(shard); });
  EXPECT_TRUE(contains(e, shard + ": damaged shard (HDF5 metadata unreadable") &&
              contains(e, "xfer_verify_data"))
      << e;
  // The loader says which file and why, by its checksum.
  expect_mismatch(training_error(dir, false, 8), shard, m.subsets.at("train").shards[0].crc32);
  // The superblock itself.
  const std::string other = dir + "/val-00000.h5";
  flip_bytes(other, 0, 64);
  e = error_of([&] { ShardReader r(other); });
  EXPECT_TRUE(contains(e, other + ": unreadable shard") && contains(e, "damaged")) << e;
}

TEST(DataFaults, IdxHeaderClaimingBillionsOfImagesIsNamed) {
  TempDir tmp("idx");
  auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  const std::string images = be32(0x803) + be32(4000000000u) + be32(28) + be32(28) +
                             std::string(784 * 3, '\x7f');
  const std::string plain = tmp.str() + "/train-images-idx3-ubyte";
  std::ofstream(plain, std::ios::binary) << images;
  const std::string gz = tmp.str() + "/gz-images-idx3-ubyte.gz";
  gzFile g = gzopen(gz.c_str(), "wb");
  ASSERT_TRUE(g);
  gzwrite(g, images.data(), static_cast<unsigned>(images.size()));
  gzclose(g);
  for (const std::string& path : {plain, gz}) {
    const std::string e = error_of([&] { read_idx_images(path); });
    EXPECT_TRUE(contains(e, path + ": damaged IDX header: it claims 4000000000 images")) << e;
  }
  const std::string labels = tmp.str() + "/train-labels-idx1-ubyte";
  std::ofstream(labels, std::ios::binary) << be32(0x801) + be32(4000000000u) + std::string(10, '\1');
  std::string e = error_of([&] { read_idx_labels(labels); });
  EXPECT_TRUE(contains(e, labels + ": damaged IDX header: it claims 4000000000 labels")) << e;
  // A count the gzip ratio allows but the data does not back: truncated.
  std::string few = be32(0x803) + be32(1000) + be32(28) + be32(28);
  std::mt19937 rng(1);  // random pixels: gzip cannot shrink them
  for (int i = 0; i < 784 * 3; ++i) few += static_cast<char>(rng());
  g = gzopen(gz.c_str(), "wb");
  gzwrite(g, few.data(), static_cast<unsigned>(few.size()));
  gzclose(g);
  e = error_of([&] { read_idx_images(gz); });
  EXPECT_TRUE(contains(e, gz + ": truncated IDX file (the header claims 1000 images of 28x28)")) << e;
}
