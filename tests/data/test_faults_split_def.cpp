// test_faults_split_def.cpp: bad split definitions, each refused in one
// line naming the file (and the class, group or line): halves that overlap
// or leave a class out, a class the store lacks or listed twice, a group the
// mapping lacks or a class mapped twice, an unknown key, two kinds at once,
// a built-in split of another dataset.
#include <gtest/gtest.h>

#include <fstream>

#include "data_prep/split_def.h"
#include "data_test_util.h"

namespace xfer::test {
namespace {

const StoreClasses kStore{"mine", {0, 1, 2, 3, 4, 5}, {"cat", "dog", "oak", "saw", "car", "bus"}};

class BadSplit : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const std::string p = t_.str() + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  // The one line a definition is refused with; it must name its file.
  std::string refusal(const std::string& text) {
    const std::string p = write("bad.split", text);
    const std::string e = error_of([&] { read_split_file(p, kStore); });
    EXPECT_TRUE(contains(e, p)) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    return e;
  }
  TempDir t_{"badsplit"};
};

TEST_F(BadSplit, HalvesThatOverlap) {
  EXPECT_TRUE(contains(refusal("A = cat, dog, oak\nB = oak, saw, car, bus\n"), "class oak is in both A and B"));
}

TEST_F(BadSplit, HalvesThatLeaveAClassOut) {
  EXPECT_TRUE(contains(refusal("A = cat, dog\nB = saw, car, bus\n"), "class oak is in neither A nor B"));
}

TEST_F(BadSplit, ClassTheStoreDoesNotHave) {
  EXPECT_TRUE(contains(refusal("A = cat, cow\nB = rest\n"), "class 'cow' is not in the store"));
  EXPECT_TRUE(contains(refusal("A = 0-6\nB = rest\n"), "class 6 is not in the store"));
}

TEST_F(BadSplit, ClassListedTwice) {
  EXPECT_TRUE(contains(refusal("A = cat, 1, dog\nB = rest\n"), "A names class dog twice"));
}

TEST_F(BadSplit, EmptyHalf) {
  EXPECT_TRUE(contains(refusal("A = 0-5\nB = rest\n"), "B has no class"));
}

TEST_F(BadSplit, GroupsTheMappingLacksOrMapsTwice) {
  write("map.txt", "cat animal\ndog animal\noak plant\nsaw tool\ncar vehicle\nbus vehicle\n");
  EXPECT_TRUE(contains(refusal("groups = map.txt\nA = animal, fungus\nB = rest\n"),
                       "group 'fungus' is not in " + t_.str() + "/map.txt"));
  write("twice.txt", "cat animal\ncat pet\n");
  const std::string p = write("g.split", "groups = twice.txt\nA = animal\nB = pet\n");
  const std::string e = error_of([&] { read_split_file(p, kStore); });
  EXPECT_TRUE(contains(e, t_.str() + "/twice.txt:2: class cat is mapped twice")) << e;
  const std::string q = write("n.split", "groups = none.txt\nA = x\nB = y\n");
  const std::string m = error_of([&] { read_split_file(q, kStore); });
  EXPECT_TRUE(contains(m, t_.str() + "/none.txt: cannot open the group mapping file")) << m;
}

TEST_F(BadSplit, UnknownKeyTwoKindsOrBadNumbers) {
  EXPECT_TRUE(contains(refusal("random = 0\nseed = 1\n"), "bad.split:2: unknown key 'seed'"));
  EXPECT_TRUE(contains(refusal("random = 0\nA = cat\nB = rest\n"), "give exactly one of"));
  EXPECT_TRUE(contains(refusal("per_class = 0\n"), "per_class must be 1 or more"));
  EXPECT_TRUE(contains(refusal("random = 0\nsize_a = 6\n"), "size_a"));
  EXPECT_TRUE(contains(refusal("A = cat\n"), "give both A and B"));
  EXPECT_TRUE(contains(refusal("this is not a key\n"), "bad.split:1: expected 'key = value'"));
}

TEST_F(BadSplit, FirstWordNamingTwoClasses) {
  const StoreClasses sea{"mine", {0, 1, 2}, {"sea lion", "sea otter", "seal"}};
  const std::string p = write("sea.split", "A = sea\nB = rest\n");
  const std::string e = error_of([&] { read_split_file(p, sea); });
  EXPECT_TRUE(contains(e, p + ": class 'sea' is ambiguous (sea lion, sea otter)")) << e;
  EXPECT_TRUE(contains(refusal("random = 0\ncomplete = false\n"), "complete goes with A and B"));
  EXPECT_TRUE(contains(refusal("A = 0-99999999999\nB = rest\n"), "not in the store"));
}

TEST_F(BadSplit, BuiltInSplitOfAnotherDatasetOrUnknown) {
  std::string e = error_of([&] { builtin_split("natman", kStore); });
  EXPECT_TRUE(contains(e, "split natman is defined for ImageNet's 1000 classes, not for mine with 6")) << e;
  e = error_of([&] { split_definition("nosuch", kStore); });
  EXPECT_TRUE(contains(e, "split 'nosuch': no such built-in split")) << e;
  e = error_of([&] { split_definition(t_.str() + "/missing.split", kStore); });
  EXPECT_TRUE(contains(e, t_.str() + "/missing.split: cannot open the split definition")) << e;
}

// A split's name becomes the folders of its views (<data>/<name>A): a name
// that climbs out of the data root, is empty or holds a newline is refused by
// the grid's rule (core/names.h) before anything is written, in one line.
TEST_F(BadSplit, NamesThatWouldBecomeOtherPaths) {
  const std::string file = write("good.split", "A = cat, dog, oak\nB = rest\n");
  for (const std::string name : {"../other/evil", "", "two\nlines", "a b"}) {
    const std::string e = error_of([&] { split_definition(name + "=" + file, kStore); });
    EXPECT_TRUE(contains(e, "a split's name is letters, digits, '_' and '-'")) << name << ": " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
  EXPECT_TRUE(contains(error_of([&] { split_definition(std::string("two\nlines=") + file, kStore); }),
                       "split 'two\\x0Alines="));
  EXPECT_EQ(split_definition("mine=" + file, kStore).name, "mine");
}

// A byte-order mark before the first key (Windows editors write one) is read
// past, not reported as an unknown key.
TEST_F(BadSplit, ByteOrderMarkIsNotAKey) {
  const std::string p = write("bom.split", "\xEF\xBB\xBF" "A = cat, dog, oak\nB = rest\n");
  EXPECT_EQ(read_split_file(p, kStore).views.size(), 2u);
}

}  // namespace
}  // namespace xfer::test
