// test_splits.cpp: the paper's random halves reproduced from their seeds,
// natural / man-made counts, Fashion-MNIST's dissimilar split, class lists.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "data_prep/numpy_mt19937.h"
#include "data_prep/splits.h"
#include "data_test_util.h"

using namespace xfer;
using namespace xfer::test;

namespace {

void expect_partition(const SplitDef& s, int n) {
  std::set<int> all(s.views[0].class_ids.begin(), s.views[0].class_ids.end());
  for (int c : s.views[1].class_ids) EXPECT_TRUE(all.insert(c).second) << "class " << c << " in both halves";
  EXPECT_EQ(static_cast<int>(all.size()), n);
  EXPECT_TRUE(std::is_sorted(s.views[0].class_ids.begin(), s.views[0].class_ids.end()));
  EXPECT_TRUE(std::is_sorted(s.views[1].class_ids.begin(), s.views[1].class_ids.end()));
}

}  // namespace

TEST(Splits, PaperRandomHalvesFromSeeds) {
  const std::string paper = paper_dir();
  if (paper.empty()) GTEST_SKIP() << "../shared/paper not present; cannot compare with the paper's split files";
  for (int s = 0; s < 4; ++s) {
    SplitDef sp = random_halves(s, 1000);
    const std::string base = paper + "/splits/half" + std::to_string(s);
    EXPECT_EQ(sp.views[0].class_ids, read_ints(base + "A_classes.txt")) << "seed " << s;
    EXPECT_EQ(sp.views[1].class_ids, read_ints(base + "B_classes.txt")) << "seed " << s;
    EXPECT_EQ(sp.views[0].class_ids.size(), 500u);
    EXPECT_EQ(sp.name, "half" + std::to_string(s));
  }
}

TEST(Splits, NaturalManMadeMatchesPaper) {
  SplitDef s = natman_split();
  EXPECT_EQ(s.views[0].class_ids.size(), 449u);
  EXPECT_EQ(s.views[1].class_ids.size(), 551u);
  expect_partition(s, 1000);
  EXPECT_EQ(s.views[0].class_ids.front(), 0);
  EXPECT_EQ(s.views[0].class_ids[397], 397);
  EXPECT_EQ(s.views[1].class_ids.front(), 398);
  EXPECT_EQ(s.views[1].class_ids.back(), 999);
  const std::string paper = paper_dir();
  if (paper.empty()) GTEST_SKIP() << "../shared/paper not present; counts checked, files not";
  EXPECT_EQ(s.views[0].class_ids, read_ints(paper + "/splits/half_nat_idx.txt"));
  EXPECT_EQ(s.views[1].class_ids, read_ints(paper + "/splits/half_man_idx.txt"));
}

TEST(Splits, OtherSeedsAndSizesArePartitions) {
  for (int s : {4, 17, 12345}) {
    auto a = random_halves(s, 1000);
    expect_partition(a, 1000);
    EXPECT_EQ(a.views[0].class_ids, random_halves(s, 1000).views[0].class_ids) << "deterministic";
  }
  auto small = random_halves(3, 10);
  expect_partition(small, 10);
  EXPECT_EQ(small.views[0].class_ids.size(), 5u);
  auto uneven = random_halves(1, 100, 30);
  expect_partition(uneven, 100);
  EXPECT_EQ(uneven.views[0].class_ids.size(), 30u);
  EXPECT_NE(random_halves(0, 1000).views[0].class_ids, random_halves(1, 1000).views[0].class_ids);
  EXPECT_THROW(random_halves(0, 10, 10), std::invalid_argument);
}

TEST(Splits, MatchesNumpyForOtherSeeds) {
  const std::string py = python_with("numpy");
  if (py.empty()) GTEST_SKIP() << "no python3 with numpy; the paper's files cover seeds 0-3";
  for (auto [seed, n] : {std::pair{7, 10}, std::pair{5, 100}, std::pair{42, 1000}}) {
    std::string out;
    const std::string cmd = py + " -c 'import numpy as np; np.random.seed([" +
                            std::to_string(seed) + "]); print(\" \".join(map(str, sorted(np.random.choice(np.arange(" +
                            std::to_string(n) + "), " + std::to_string(n / 2) +
                            ", replace=False)))))'";
    ASSERT_EQ(run_command(cmd, &out), 0) << out;
    std::vector<int> expect;
    std::istringstream ss(out);
    int x;
    while (ss >> x) expect.push_back(x);
    EXPECT_EQ(random_halves(seed, n).views[0].class_ids, expect) << "seed " << seed << " n " << n;
  }
}

TEST(Splits, LegacyGeneratorFirstDraws) {
  // MT19937 init_by_array({0x123, 0x234, 0x345, 0x456}): the reference
  // implementation's published first outputs.
  NumpyMT19937 rng({0x123, 0x234, 0x345, 0x456});
  EXPECT_EQ(rng.next_u32(), 1067595299u);
  EXPECT_EQ(rng.next_u32(), 955945823u);
  EXPECT_EQ(rng.next_u32(), 477289528u);
}

TEST(Splits, FashionMnistDissimilar) {
  SplitDef s = fmnist_dissim_split();
  EXPECT_EQ(s.views[0].class_ids, (std::vector<int>{0, 2, 3, 4, 6}));
  EXPECT_EQ(s.views[1].class_ids, (std::vector<int>{1, 5, 7, 8, 9}));
  expect_partition(s, 10);
}

TEST(Splits, ClassListFiles) {
  TempDir tmp("lists");
  const std::vector<std::string> names = {"n01", "n02", "n03", "n04"};
  {
    std::ofstream(tmp.str() + "/a.txt") << "# natural\nn03\n0\n\n";
    std::ofstream(tmp.str() + "/b.txt") << "1\n3 \n";
    std::ofstream(tmp.str() + "/bad.txt") << "7\n";
    std::ofstream(tmp.str() + "/unknown.txt") << "n99\n";
    std::ofstream(tmp.str() + "/overlap.txt") << "2\n";
  }
  auto s = split_from_files("mine", tmp.str() + "/a.txt", tmp.str() + "/b.txt", names);
  EXPECT_EQ(s.views[0].class_ids, (std::vector<int>{0, 2}));
  EXPECT_EQ(s.views[1].class_ids, (std::vector<int>{1, 3}));
  try {
    read_class_list(tmp.str() + "/bad.txt", names);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.txt:1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_class_list(tmp.str() + "/unknown.txt", names), std::runtime_error);
  EXPECT_THROW(read_class_list(tmp.str() + "/missing.txt", names), std::runtime_error);
  EXPECT_THROW(split_from_files("x", tmp.str() + "/a.txt", tmp.str() + "/overlap.txt", names),
               std::runtime_error);
  write_class_list(tmp.str() + "/out.txt", s.views[0].class_ids);
  EXPECT_EQ(read_ints(tmp.str() + "/out.txt"), s.views[0].class_ids);
}
