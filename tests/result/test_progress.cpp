// test_progress.cpp: progress.json written and read back; a missing or
// damaged one means no progress known, never an exception.
#include "result/progress.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace xfer {
namespace {

namespace fs = std::filesystem;

std::string scratch_file(const char* name) {
  return (fs::path(::testing::TempDir()) / (std::string(name) + "." + std::to_string(getpid()))).string();
}

TEST(Progress, WrittenThenReadGivesTheSameValues) {
  const std::string path = scratch_file("progress.json");
  const Progress p = progress_now(250, 1000, 12.5);
  EXPECT_EQ(p.eta_s, 60);
  write_progress(path, p);
  std::optional<Progress> back = read_progress(path);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->iteration, 250);
  EXPECT_EQ(back->max_iter, 1000);
  EXPECT_EQ(back->rate, 12.5);
  EXPECT_EQ(back->eta_s, 60);
  EXPECT_EQ(back->updated, p.updated);
  EXPECT_NEAR(back->updated, epoch_seconds(), 60);
  // Ten seconds after it was written, ten seconds less are left.
  EXPECT_NEAR(seconds_left(*back, back->updated + 10), 50, 1e-3);
  EXPECT_EQ(seconds_left(*back, back->updated + 100), 0);
  fs::remove(path);
}

TEST(Progress, PaceNotYetMeasuredHasNoEta) {
  const Progress p = progress_now(40, 100, 0);
  EXPECT_EQ(p.rate, 0);
  EXPECT_EQ(p.eta_s, -1);
  EXPECT_EQ(seconds_left(p, p.updated), -1);
  EXPECT_EQ(progress_now(40, 100, NAN).eta_s, -1);
}

TEST(Progress, MissingOrGarbledFileIsNoProgress) {
  const std::string path = scratch_file("garbled.json");
  EXPECT_FALSE(read_progress(path));  // missing
  for (const char* text : {"", "{\"iteration\": 5", "[1, 2]", "null",
                           R"({"iteration": 5, "max_iter": 10, "rate": 1, "eta_s": 5})",  // no time
                           R"({"iteration": "5", "max_iter": 10, "rate": 1, "eta_s": 5, "updated": 1})",
                           R"({"iteration": 5, "max_iter": 10, "rate": null, "eta_s": 5, "updated": 1})"}) {
    std::ofstream(path) << text;
    EXPECT_FALSE(read_progress(path)) << text;
  }
  std::ofstream(path) << R"({"iteration": 5, "max_iter": 10, "rate": 1, "eta_s": 5, "updated": 1})";
  EXPECT_TRUE(read_progress(path));
  fs::remove(path);
  fs::create_directory(path);  // a folder where the file should be
  EXPECT_FALSE(read_progress(path));
  fs::remove(path);
}

}  // namespace
}  // namespace xfer
