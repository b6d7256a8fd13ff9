// data_test_util.h: helpers for the data tests: a small synthetic folder of
// shards whose images encode their own example id, the paper's reference
// files and reading its class lists (scratch folders, commands, the tools'
// folder: test_util.h).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "data_prep/split_writer.h"
#include "test_util.h"

namespace xfer::test {

namespace fs = std::filesystem;

using testing::bin_dir;
using testing::error_of;
using testing::occurrences;
using testing::read_file;
using testing::run_command;
using testing::TempDir;
using testing::write_text;

// Synthetic image i (3 x h x w): channel 0 = i % 256, channel 1 = i / 256
// everywhere, channel 2 = 16*x + y (shows crop offset and mirroring).
inline std::vector<uint8_t> synthetic_image(int64_t i, int h, int w) {
  std::vector<uint8_t> img(3 * static_cast<size_t>(h) * w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const size_t p = static_cast<size_t>(y) * w + x;
      img[p] = static_cast<uint8_t>(i % 256);
      img[static_cast<size_t>(h) * w + p] = static_cast<uint8_t>(i / 256);
      img[2 * static_cast<size_t>(h) * w + p] = static_cast<uint8_t>((16 * x + y) % 256);
    }
  return img;
}

inline int32_t synthetic_label(int64_t i, int k) { return static_cast<int32_t>((i * 7 + 3) % k); }

// Writes <root>/<split> with n_train and n_val synthetic images of k classes.
inline Manifest make_synthetic_folder(const std::string& root, const std::string& split,
                                      int64_t n_train, int64_t n_val, int k = 5, int h = 8,
                                      int w = 8, int64_t shard_size = 16) {
  const std::string dir = root + "/" + split;
  for (int sub = 0; sub < 2; ++sub) {
    ShardMeta meta;
    meta.dataset = "synthetic";
    meta.split = split;
    meta.subset = sub == 0 ? "train" : "val";
    meta.channels = 3;
    meta.height = h;
    meta.width = w;
    for (int c = 0; c < k; ++c) {
      meta.class_ids.push_back(100 + c);
      meta.class_names.push_back("class" + std::to_string(c));
    }
    const int64_t n = sub == 0 ? n_train : n_val;
    write_planned_shards(dir, meta, n, shard_size, 0, 1,
                         [&](int64_t first, int64_t cnt, ShardWriter& wr) {
                           for (int64_t i = first; i < first + cnt; ++i) {
                             auto img = synthetic_image(i, h, w);
                             const int32_t l = synthetic_label(i, k);
                             wr.add(img.data(), l, 100 + l, meta.subset + ":" + std::to_string(i));
                           }
                         });
  }
  return finalize_split_dir(dir, "{\"test\": true}");
}

inline bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// ../shared/paper from the project root, or "" when absent.
inline std::string paper_dir() {
  const char* src = std::getenv("XFER_SOURCE_DIR");
  fs::path p = fs::path(src ? src : ".") / ".." / "shared" / "paper";
  return fs::is_directory(p) ? p.string() : std::string();
}

// The class indices of a class-list file (the paper's split files: one a line).
inline std::vector<int> read_ints(const std::string& path) {
  std::ifstream in(path);
  std::vector<int> v;
  for (int x; in >> x;) v.push_back(x);
  return v;
}

// A Python with h5py and numpy (Debian's), or "".
inline std::string python_with(const std::string& modules) {
  for (const char* py : {"/usr/bin/python3", "python3"}) {
    if (run_command(std::string(py) + " -c 'import " + modules + "'").code == 0) return py;
  }
  return {};
}

}  // namespace xfer::test
