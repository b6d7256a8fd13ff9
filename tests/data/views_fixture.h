// views_fixture.h: a small store of 5 synthetic classes and the half that
// today's copying wrote of it, for the view tests (test_views.cpp,
// test_faults_views.cpp).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>

#include "data/shard_store.h"
#include "data_prep/view_maker.h"
#include "data_test_util.h"

namespace xfer::test {

constexpr int kClasses = 5;

struct Images {
  std::vector<std::vector<uint8_t>> pixels;
  std::vector<int32_t> labels;
};

inline Images read_all(const std::string& dir, const std::string& subset) {
  ShardSourceOptions o;
  o.dir = dir;
  o.subset = subset;
  ShardStore s(o);
  Images out;
  std::vector<uint8_t> img(s.image_bytes());
  for (int64_t i = 0; i < s.size(); ++i) {
    s.read(i, img.data());
    out.pixels.push_back(img);
    out.labels.push_back(s.label(i));
  }
  return out;
}

// A store of 5 classes (dataset labels 100..104) in 6 train shards, and
// what today's copying of a half wrote, to compare a view against.
class Views : public ::testing::Test {
 protected:
  void SetUp() override {
    make_synthetic_folder(root(), "all", 90, 30, kClasses);
    copy_half("copyA", {0, 2, 3}, 0);
  }
  std::string root() const { return tmp_.str(); }
  // The examples a half keeps, written as its own folder (as prep tools did).
  void copy_half(const std::string& name, const std::vector<int>& classes, int k) {
    const Images train = read_all(root() + "/all", "train"), val = read_all(root() + "/all", "val");
    ViewSpec half{name, {classes.begin(), classes.end()}, k};
    for (const auto* sub : {&train, &val}) {
      std::vector<int64_t> keep;
      std::vector<int32_t> local;
      select_examples(sub->labels, half, sub == &train, keep, local);
      ShardMeta meta{"synthetic", name, sub == &train ? "train" : "val", 3, 8, 8, {}, {}};
      for (int c : classes) {
        meta.class_ids.push_back(100 + c);
        meta.class_names.push_back("class" + std::to_string(c));
      }
      write_planned_shards(root() + "/" + name, meta, static_cast<int64_t>(keep.size()), 7, 0, 1,
                           [&](int64_t first, int64_t n, ShardWriter& w) {
                             for (int64_t i = first; i < first + n; ++i) {
                               const auto e = static_cast<size_t>(keep[static_cast<size_t>(i)]);
                               w.add(sub->pixels[e].data(), local[static_cast<size_t>(i)], 0, "k");
                             }
                           });
    }
    finalize_split_dir(root() + "/" + name, "{}");
  }
  View make(const std::string& name, std::vector<int32_t> classes, int64_t k = 0) {
    return make_view(root(), {"test", "classes given by the test", {}, ""}, {name, std::move(classes), k});
  }
  TempDir tmp_{"views"};
};

}  // namespace xfer::test
