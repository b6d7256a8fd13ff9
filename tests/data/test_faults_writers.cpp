// test_faults_writers.cpp: writers that meet each other or a full disk. Two
// conversions into one root: the second stops at once naming the first's
// pid and host, the first's output verifies; convert parts of one srun still
// write side by side; temporary files of dead writers are removed. A full
// disk: one line "no space left on device writing FILE (about N MB needed)",
// rc 1 and no crash, again on rerun, and nothing complete is lost.
#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <chrono>

#include "core/check.h"  // this_host
#include "data_prep/imagenet_prep.h"
#include "data_prep/write_lock.h"
#include "fault_test_util.h"
#include "io/atomic_file.h"

using namespace xfer;
using namespace xfer::test;

namespace {

const std::string kFmnist = "/usr/share/datasets/fashion-mnist";

bool have_fmnist() { return fs::exists(kFmnist + "/train-images-idx3-ubyte.gz"); }

// The lines of `out` that report an error.
std::vector<std::string> error_lines(const std::string& out) {
  std::vector<std::string> lines;
  for (size_t at = 0, nl; at < out.size(); at = nl + 1) {
    nl = out.find('\n', at);
    if (nl == std::string::npos) nl = out.size();
    const std::string l = out.substr(at, nl - at);
    if (contains(l, "error")) lines.push_back(l);
  }
  return lines;
}

// A tiny ILSVRC-like tree: 2 classes of 4 solid JPEGs, 2 validation images.
std::string write_imagenet_tree(const std::string& root) {
  tjhandle tj = tjInitCompress();
  auto jpeg = [&](const std::string& path, uint8_t v) {
    std::vector<uint8_t> px(24 * 20 * 3, v);
    unsigned char* buf = nullptr;
    unsigned long size = 0;
    EXPECT_EQ(tjCompress2(tj, px.data(), 24, 0, 20, TJPF_RGB, &buf, &size, TJSAMP_444, 90, 0), 0);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<char*>(buf), static_cast<std::streamsize>(size));
    tjFree(buf);
  };
  for (int c = 0; c < 2; ++c) {
    const std::string d = root + "/train/n0000000" + std::to_string(c + 1);
    fs::create_directories(d);
    for (int i = 0; i < 4; ++i) jpeg(d + "/" + std::to_string(i) + ".JPEG", static_cast<uint8_t>(60 + 100 * c));
  }
  fs::create_directories(root + "/val");
  std::ofstream val(root + "/val.txt");
  for (int i = 0; i < 2; ++i) {
    jpeg(root + "/val/v" + std::to_string(i) + ".JPEG", static_cast<uint8_t>(60 + 100 * i));
    val << "v" << i << ".JPEG " << i << '\n';
  }
  tjDestroy(tj);
  return root + "/val.txt";
}

}  // namespace

// ---------------------------------------------------------------------------
// B. One writer per root

TEST(DataFaults, SecondPrepIntoTheSameRootStopsAtOnceNamingTheFirst) {
  if (!have_fmnist()) GTEST_SKIP() << kFmnist << " absent";
  TempDir tmp("two_preps");
  const std::string out = tmp.str() + "/fmnist";
  const std::string prep = bin_dir() + "/xfer_prep_fmnist --seeds 0-3 --out " + out;
  Background first(prep, tmp.str() + "/first");
  const std::string holder = wait_for_holder(out + "/.lock");
  ASSERT_TRUE(contains(holder, "pid ") && contains(holder, " on host " + this_host())) << holder;
  ASSERT_FALSE(first.done()) << "the first conversion ended before the second started";
  std::string said;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(run_command(prep, &said), 1) << said;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 5.0);
  EXPECT_TRUE(contains(said, out + " is being written by " + holder)) << said;
  EXPECT_EQ(error_lines(said).size(), 1u) << said;
  ASSERT_EQ(first.wait(), 0) << first.output();
  EXPECT_EQ(run_command(bin_dir() + "/xfer_verify_data " + out, &said), 0) << said;
  EXPECT_TRUE(temp_files_in(out).empty());
}

TEST(DataFaults, ConvertPartsLockTheirOwnShardsAndDeriveWaitsForAll) {
  TempDir tmp("part_locks");
  const std::string root = tmp.str() + "/imagenet";
  const std::string me = "pid " + std::to_string(::getpid()) + " on host " + this_host();
  {
    FileLock p0 = lock_convert_part(root, 0, 2);
    // The same part again refuses; another part of the same run goes ahead.
    std::string e = error_of([&] { lock_convert_part(root, 0, 2); });
    EXPECT_TRUE(contains(e, root + " is being written by " + me)) << e;
    EXPECT_EQ(error_of([&] { lock_convert_part(root, 1, 2); }), "");
    // No derive while a part converts.
    e = error_of([&] { lock_data_root(root); });
    EXPECT_TRUE(contains(e, root + " is being written by " + me) && contains(e, ".lock.part-0-of-2"))
        << e;
  }
  // No part while a derive runs: it holds the part locks it found, and the
  // root lock, which a part of another split (a new lock file) finds held.
  RootWriteLock derive = lock_data_root(root);
  std::string e = error_of([&] { lock_convert_part(root, 1, 2); });
  EXPECT_TRUE(contains(e, root + " is being written by " + me) && contains(e, ".lock.part-1-of-2"))
      << e;
  e = error_of([&] { lock_convert_part(root, 0, 3); });
  EXPECT_TRUE(contains(e, root + " is being written by " + me) && contains(e, "/.lock)")) << e;
}

TEST(DataFaults, ConcurrentImageNetPartsBothFinishAndTheResultVerifies) {
  TempDir tmp("parts");
  const std::string val = write_imagenet_tree(tmp.str() + "/ilsvrc");
  const std::string out = tmp.str() + "/imagenet";
  const std::string base = bin_dir() + "/xfer_prep_imagenet --src " + tmp.str() + "/ilsvrc --out " +
                           out + " --val-labels " + val + " --size 16 --shard-size 2 --threads 1";
  Background p0(base + " --stage convert --part 0 --parts 2", tmp.str() + "/p0");
  Background p1(base + " --stage convert --part 1 --parts 2", tmp.str() + "/p1");
  ASSERT_EQ(p0.wait(), 0) << p0.output();
  ASSERT_EQ(p1.wait(), 0) << p1.output();
  std::string said;
  ASSERT_EQ(run_command(base + " --stage derive --seeds 0", &said), 0) << said;
  EXPECT_EQ(read_manifest(out + "/all").subsets.at("train").shards.size(), 4u);
  EXPECT_EQ(run_command(bin_dir() + "/xfer_verify_data " + out, &said), 0) << said;
  EXPECT_TRUE(temp_files_in(out).empty());
}

TEST(DataFaults, TemporaryFilesOfDeadWritersAreRemovedUnderTheLock) {
  TempDir tmp("stale");
  make_synthetic_folder(tmp.str(), "all", 40, 8);
  const std::string dir = tmp.str() + "/all";
  const std::vector<std::string> stale = {
      dir + "/train-00001.h5.tmp",                    // the old single name
      dir + "/train-00005.h5.tmp.deadhost.4242",      // another host's writer
      dir + "/train-00001.h5.crc32.tmp.deadhost.17",  // a sidecar's
      dir + "/manifest.json.tmp",
      dir + "/mean.h5.tmp.deadhost.99",
  };
  for (const auto& s : stale) std::ofstream(s) << "partial";
  const std::string mine = temp_path_for(dir + "/plan.json");
  std::ofstream(mine) << "this process is writing it";
  ::testing::internal::CaptureStderr();
  {
    RootWriteLock lock = lock_data_root(tmp.str());
  }
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(said, "removed 5 temporary files left under " + tmp.str())) << said;
  for (const auto& s : stale) EXPECT_FALSE(fs::exists(s)) << s;
  EXPECT_TRUE(fs::exists(mine));
  fs::remove(mine);
  // A convert part clears the leftovers of its own shards as it reaches them.
  std::ofstream(dir + "/train-00002.h5.tmp") << "partial";
  make_synthetic_folder(tmp.str(), "all", 40, 8);
  EXPECT_TRUE(temp_files_in(dir).empty());
}

// ---------------------------------------------------------------------------
// C. A full disk

TEST(DataFaults, PrepOntoAFullDiskEndsWithOneLineNotACrash) {
  if (!have_fmnist()) GTEST_SKIP() << kFmnist << " absent";
  ::xfer::testing::TmpfsMount disk("full_prep", 20);
  if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
  const std::string out = disk.dir() + "/fmnist";
  const std::string prep = bin_dir() + "/xfer_prep_fmnist --out " + out;
  std::string said;
  ASSERT_EQ(run_command(prep, &said), 1) << said;  // not 139
  auto lines = error_lines(said);
  ASSERT_EQ(lines.size(), 1u) << said;
  EXPECT_TRUE(contains(lines[0], "no space left on device writing " + out + "/all/train-0000") &&
              contains(lines[0], "MB needed"))
      << said;
  EXPECT_TRUE(temp_files_in(out).empty());
  // What was finished is kept whole, and kept by the rerun, which fails the same way.
  const std::string done = out + "/all/train-00000.h5";
  ASSERT_TRUE(read_sidecar(done));
  EXPECT_EQ(file_checksum(done), *read_sidecar(done));
  const auto t0 = fs::last_write_time(done);
  ASSERT_EQ(run_command(prep, &said), 1) << said;
  EXPECT_EQ(error_lines(said).size(), 1u) << said;
  EXPECT_TRUE(contains(said, "no space left on device writing")) << said;
  EXPECT_EQ(fs::last_write_time(done), t0);
  EXPECT_TRUE(temp_files_in(out).empty());
}

TEST(DataFaults, ShardWriterMeetingAFullDiskMidWayThrowsAndLeavesNothing) {
  ::xfer::testing::TmpfsMount disk("full_shard", 2);
  if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
  const std::string path = disk.dir() + "/train-00000.h5";
  ShardMeta meta{"synthetic", "all", "train", 3, 256, 256, {0, 1}, {"a", "b"}};
  const std::vector<uint8_t> img(meta.image_bytes(), 7);
  // No expected size given: the disk fills while HDF5 writes.
  const std::string e = error_of([&] {
    ShardWriter w(path, meta, 0);
    for (int i = 0; i < 30; ++i) w.add(img.data(), i % 2, i % 2, std::to_string(i));
    w.finish();
  });
  EXPECT_TRUE(contains(e, "no space left on device writing " + path + " (about ") &&
              contains(e, "MB needed"))
      << e;
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(temp_files_in(disk.dir()).empty());
  // Told how many images to expect, it refuses before writing anything.
  const std::string early = error_of([&] { ShardWriter w(path, meta, 0, 30); });
  EXPECT_TRUE(contains(early, "no space left on device writing " + path + " (about ") &&
              contains(early, "MB needed"))
      << early;
  // HDF5 is left in a state that closes cleanly at exit (this test's process ends normally).
}

TEST(DataFaults, FinalizeOnAFullDiskKeepsTheManifestAndMean) {
  ::xfer::testing::TmpfsMount disk("full_manifest", 1);
  if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
  make_synthetic_folder(disk.dir(), "all", 40, 8);
  const std::string dir = disk.dir() + "/all";
  const std::string manifest = read_file(dir + "/manifest.json");
  const std::string mean = read_file(dir + "/mean.h5");
  disk.fill();
  const std::string e = error_of([&] { finalize_split_dir(dir, "{\"again\": true}"); });
  EXPECT_TRUE(contains(e, "no space left on device writing " + dir + "/mean.h5")) << e;
  EXPECT_EQ(read_file(dir + "/manifest.json"), manifest);
  EXPECT_EQ(read_file(dir + "/mean.h5"), mean);
  EXPECT_TRUE(temp_files_in(dir).empty());
  fs::remove(disk.dir() + "/filler");
  EXPECT_EQ(error_of([&] { finalize_split_dir(dir, "{\"again\": true}"); }), "");
  EXPECT_TRUE(contains(read_file(dir + "/manifest.json"), "again"));
}
