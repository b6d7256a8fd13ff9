// test_split_def.cpp: split definitions (data_prep/split_def.h): the
// built-in names give the paper's halves exactly (as files with the same
// keys do), explicit lists, groups from a mapping file and reduced sets give
// what they say; and the tools make the views of a definition file.
#include <gtest/gtest.h>

#include <fstream>

#include "data/view.h"
#include "data_prep/split_def.h"
#include "data_prep/splits.h"
#include "data_test_util.h"

namespace xfer::test {
namespace {

StoreClasses store_of(const std::string& dataset, int n) {
  StoreClasses s{dataset, {}, {}};
  for (int c = 0; c < n; ++c) {
    s.class_ids.push_back(c);
    // "n10003 class 3": a WNID-like first word, as ImageNet's names.
    std::string name = "n";
    name += std::to_string(10000 + c);
    name += " class ";
    name += std::to_string(c);
    s.class_names.push_back(name);
  }
  return s;
}

std::string write(const TempDir& t, const std::string& name, const std::string& text) {
  const std::string p = t.str() + "/" + name;
  std::ofstream(p) << text;
  return p;
}

TEST(SplitDef, BuiltInHalvesAreThePapersAndAFileSaysTheSame) {
  const StoreClasses imagenet = store_of("imagenet", 1000);
  TempDir t("splitdef");
  const std::string paper = paper_dir();
  for (int s = 0; s < 4; ++s) {
    const SplitDef d = builtin_split("half" + std::to_string(s), imagenet);
    ASSERT_EQ(d.views.size(), 2u);
    EXPECT_EQ(d.views[0].name, "half" + std::to_string(s) + "A");
    const SplitDef r = random_halves(s, 1000);
    EXPECT_EQ(d.views[0].class_ids, r.views[0].class_ids);
    EXPECT_EQ(d.views[1].class_ids, r.views[1].class_ids);
    if (!paper.empty()) {
      EXPECT_EQ(d.views[0].class_ids, read_ints(paper + "/splits/half" + std::to_string(s) + "A_classes.txt"));
      EXPECT_EQ(d.views[1].class_ids, read_ints(paper + "/splits/half" + std::to_string(s) + "B_classes.txt"));
    }
    const SplitDef f = read_split_file(write(t, "mine" + std::to_string(s) + ".split",
                                             "[split]\nrandom = " + std::to_string(s) + "  # seed\n"),
                                       imagenet);
    EXPECT_EQ(f.name, "mine" + std::to_string(s));
    EXPECT_EQ(f.views[0].name, f.name + "A");
    EXPECT_EQ(f.views[0].class_ids, r.views[0].class_ids);
  }
  // Fashion-MNIST's 10 classes: the same generator, as the default uses.
  EXPECT_EQ(builtin_split("half0", store_of("fashion-mnist", 10)).views[0].class_ids, random_halves(0, 10).views[0].class_ids);
}

TEST(SplitDef, NaturalManMadeAndDissimilarAreBuiltIn) {
  const SplitDef n = builtin_split("natman", store_of("imagenet", 1000));
  EXPECT_EQ(n.views[0].class_ids, natman_split().views[0].class_ids);
  EXPECT_EQ(n.views[1].class_ids, natman_split().views[1].class_ids);
  if (!paper_dir().empty()) {
    EXPECT_EQ(n.views[0].class_ids, read_ints(paper_dir() + "/splits/half_nat_idx.txt"));
  }
  const SplitDef d = builtin_split("dissim", store_of("fashion-mnist", 10));
  EXPECT_EQ(d.views[0].class_ids, (std::vector<int>{0, 2, 3, 4, 6}));
  const SplitDef k = builtin_split("all-k25", store_of("fashion-mnist", 10));
  ASSERT_EQ(k.views.size(), 1u);
  EXPECT_EQ(k.views[0].name, "all-k25");
  EXPECT_EQ(k.views[0].train_per_class, 25);
  EXPECT_EQ(k.views[0].class_ids.size(), 10u);
}

TEST(SplitDef, ListsByIndexRangeAndNameWithTheRest) {
  TempDir t("splitdef");
  const StoreClasses s = store_of("mine", 8);
  const SplitDef d = read_split_file(write(t, "lists.split", "A = 0-2, n10005, n10007 class 7\nB = rest\n"), s);
  EXPECT_EQ(d.views[0].class_ids, (std::vector<int>{0, 1, 2, 5, 7}));
  EXPECT_EQ(d.views[1].class_ids, (std::vector<int>{3, 4, 6}));
  EXPECT_NE(d.text.find("A = 0-2, n10005, n10007 class 7"), std::string::npos);
  const SplitDef p = read_split_file(write(t, "part.split", "A = 0, 1\nB = 6, 7\ncomplete = false\n"), s);
  EXPECT_EQ(p.views[1].class_ids, (std::vector<int>{6, 7}));
}

TEST(SplitDef, NameEqualsFileNamesTheViewsAndEveryDefinitionSaysWhatRemakesIt) {
  TempDir t("splitdef");
  const StoreClasses s = store_of("mine", 4);
  const std::string file = write(t, "pets.split", "A = 0, 1\nB = rest\n");
  const SplitDef d = split_definition("furry=" + file, s);
  EXPECT_EQ(d.name, "furry");
  EXPECT_EQ(d.views[0].name, "furryA");
  EXPECT_EQ(d.views[1].name, "furryB");
  EXPECT_EQ(d.source, "furry=" + file);
  EXPECT_EQ(split_definition(file, s).source, file);
  EXPECT_EQ(split_definition("half3", s).source, "half3");
}

TEST(SplitDef, AWholeNameWinsOverALabelOrARange) {
  TempDir t("splitdef");
  // Folders named by numbers, sorted as strings: "10" is the second class.
  const StoreClasses s{"numbers", {0, 1, 2, 3}, {"1", "10", "2", "2-3"}};
  const SplitDef d = read_split_file(write(t, "n.split", "A = 10, 2-3\nB = rest\n"), s);
  EXPECT_EQ(d.views[0].class_ids, (std::vector<int>{1, 3}));
  EXPECT_EQ(d.views[1].class_ids, (std::vector<int>{0, 2}));
}

TEST(SplitDef, GroupsFromAMappingFile) {
  TempDir t("splitdef");
  const StoreClasses s = store_of("mine", 6);
  write(t, "super.txt", "# class group\n0 animal\nn10001 animal\n2\tplant\n3 tool\nn10004 class 4 tool\n5 vehicle\n");
  const SplitDef d = read_split_file(write(t, "living.split", "groups = super.txt\nA = animal, plant\nB = tool, vehicle\n"), s);
  EXPECT_EQ(d.views[0].class_ids, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(d.views[1].class_ids, (std::vector<int>{3, 4, 5}));
}

TEST(SplitDef, ReducedSetsOfSomeOrEveryClass) {
  TempDir t("splitdef");
  const StoreClasses s = store_of("mine", 6);
  const SplitDef d = read_split_file(write(t, "few.split", "per_class = 3\nclasses = 1-3\n"), s);
  ASSERT_EQ(d.views.size(), 1u);
  EXPECT_EQ(d.views[0].name, "few");
  EXPECT_EQ(d.views[0].class_ids, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(d.views[0].train_per_class, 3);
}

// The whole path with the tools: a store, a definition file, its views.
TEST(SplitDef, ToolsMakeTheViewsOfADefinitionFile) {
  TempDir t("splitdef_tools");
  const std::string data = t.str() + "/fmnist";
  std::string out;
  ASSERT_EQ(run_command(bin_dir() + "/xfer_prep_fmnist" + " --out " + data + " --seeds 0 --reduced '' --no-dissim", &out), 0) << out;
  EXPECT_TRUE(fs::exists(data + "/half0A/view.json"));
  EXPECT_FALSE(fs::exists(data + "/half0A/manifest.json"));  // no copy of the images
  const std::string def = write(t, "shoes.split", "A = Sandal, Sneaker, Ankle boot\nB = rest\n");
  ASSERT_EQ(run_command(bin_dir() + "/xfer_make_views" + " --data " + data + " --split " + def, &out), 0) << out;
  const View a = read_view(data + "/shoesA");
  EXPECT_EQ(a.class_ids, (std::vector<int32_t>{5, 7, 9}));
  EXPECT_EQ(a.split, "shoes");
  EXPECT_EQ(a.num_images("train"), 18000);
  EXPECT_EQ(read_view(data + "/shoesB").num_images("val"), 7000);
  // Run again: nothing to do, the views are current.
  ASSERT_EQ(run_command(bin_dir() + "/xfer_make_views" + " --data " + data + " --split " + def, &out), 0) << out;
  EXPECT_NE(out.find("(current)"), std::string::npos) << out;
  ASSERT_EQ(run_command(bin_dir() + "/xfer_verify_data" + " " + data, &out), 0) << out;
}

}  // namespace
}  // namespace xfer::test
