// test_atomic_file.cpp: the temp-write-fsync-rename path every file of the
// project goes through: the whole file or the old one, never part of one; no
// temporary left behind; every error names the file the user knows.
#include "io/atomic_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_util.h"

namespace xfer {
namespace {

namespace fs = std::filesystem;
using testing::error_of;
using testing::read_file;
using testing::TempDir;

// The names in `dir`, sorted.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(AtomicFile, TempIsBesideTheFileAndNamesItsWriter) {
  const std::string t = temp_path_for("/data/half0A/manifest.json");
  EXPECT_EQ(t.rfind("/data/half0A/manifest.json.tmp.", 0), 0u) << t;
  EXPECT_NE(t.find("." + std::to_string(::getpid())), std::string::npos) << t;
  EXPECT_EQ(fs::path(t).parent_path(), fs::path("/data/half0A"));
}

TEST(AtomicFile, WritesTheWholeFileAndLeavesNoTemp) {
  TempDir tmp("atomic");
  const fs::path p = tmp.path() / "result.json";
  write_file_atomic(p.string(), std::string("{\"a\": 1}\n"));
  EXPECT_EQ(read_file(p), "{\"a\": 1}\n");
  // A second write replaces the first whole, shorter or not.
  write_file_atomic(p.string(), std::string("{}"));
  EXPECT_EQ(read_file(p), "{}");
  const std::vector<char> bytes(100000, 'x');
  write_file_atomic(p.string(), bytes.data(), bytes.size());
  EXPECT_EQ(fs::file_size(p), bytes.size());
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"result.json"});
}

TEST(AtomicFile, FailedRenameKeepsTheOldFileRemovesTheTempAndNamesBoth) {
  TempDir tmp("atomic_rename");
  // A folder where the file should go: the write succeeds, the rename cannot.
  const fs::path p = tmp.path() / "checkpoint.h5";
  fs::create_directories(p / "inside");
  const std::string e = error_of([&] { write_file_atomic(p.string(), std::string("new")); });
  EXPECT_NE(e.find("cannot rename"), std::string::npos) << e;
  EXPECT_NE(e.find(p.string()), std::string::npos) << e;
  EXPECT_NE(e.find(temp_path_for(p.string())), std::string::npos) << e;
  EXPECT_TRUE(fs::is_directory(p / "inside"));
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"checkpoint.h5"});
}

TEST(AtomicFile, MissingFolderIsAnErrorNamingTheFile) {
  TempDir tmp("atomic_missing");
  const fs::path p = tmp.path() / "no-such-folder" / "manifest.json";
  const std::string e = error_of([&] { write_file_atomic(p.string(), std::string("x")); });
  EXPECT_EQ(e.find("cannot write " + p.string() + ": "), 0u) << e;
  EXPECT_NE(e.find(std::strerror(ENOENT)), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(p));
}

TEST(AtomicFile, CommitOfAMissingTempKeepsTheFile) {
  TempDir tmp("atomic_commit");
  const fs::path p = tmp.path() / "mean.h5";
  write_file_atomic(p.string(), std::string("old"));
  const std::string t = temp_path_for(p.string());
  const std::string e = error_of([&] { commit_file(t, p.string()); });
  EXPECT_NE(e.find("cannot reopen " + t), std::string::npos) << e;
  EXPECT_EQ(read_file(p), "old");
}

TEST(AtomicFile, WriteFailureMessageSaysWhatAndHowMuch) {
  TempDir tmp("atomic_message");
  const std::string p = (tmp.path() / "train-00000.h5").string();
  const std::string full = write_failure_message(p, ENOSPC, 3u << 20);
  EXPECT_EQ(full.rfind("no space left on device writing " + p + " (about 3 MB needed, ", 0), 0u) << full;
  EXPECT_NE(full.find(" MB free)"), std::string::npos) << full;
  EXPECT_EQ(write_failure_message(p, EDQUOT).rfind("no space left on device writing " + p, 0), 0u);
  // More than the folder has is a full disk whatever errno says.
  const std::string big = write_failure_message(p, 0, UINT64_MAX / 2);
  EXPECT_EQ(big.rfind("no space left on device writing " + p, 0), 0u) << big;
  EXPECT_EQ(write_failure_message(p, EACCES), "cannot write " + p + ": " + std::strerror(EACCES));
  EXPECT_EQ(write_failure_message(p, 0), "cannot write " + p + ": " + std::strerror(EIO));
}

TEST(AtomicFile, StaleTempsOfOtherWritersAreRemovedOnlyThose) {
  TempDir tmp("atomic_stale");
  const fs::path p = tmp.path() / "plan.json";
  const std::string mine = temp_path_for(p.string());
  for (const std::string& f : {p.string() + ".tmp.otherhost.123", p.string() + ".tmp", mine,
                               (tmp.path() / "plan.json.bak").string(), (tmp.path() / "other.json.tmp.x.1").string()})
    std::ofstream(f) << "x";
  EXPECT_EQ(remove_stale_temps(p.string()), 2);
  EXPECT_EQ(names_in(tmp.path()),
            (std::vector<std::string>{"other.json.tmp.x.1", "plan.json.bak", fs::path(mine).filename().string()}));
  EXPECT_EQ(remove_stale_temps(p.string()), 0);
}

}  // namespace
}  // namespace xfer
