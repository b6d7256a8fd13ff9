// test_release_names.cpp: the release's network names map onto our cell ids.
#include "analysis/release_names.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "grid/cell.h"

namespace xfer {
namespace {

TEST(ReleaseNames, MapsEveryKindOfNetwork) {
  // (the release's network name, our cell id)
  const std::pair<const char*, const char*> names[] = {
      {"half0A", "half0-A-base"},
      {"half3B", "half3-B-base"},
      {"halfnatmanA", "natman-A-base"},
      {"halfnatmanB", "natman-B-base"},
      {"netbase", "all-base"},
      {"transfer0A0A_1_1", "half0-AA-n1-frozen"},
      {"transfer2B2A_1_7", "half2-BA-n7-frozen"},
      {"transfer-ft1A1B_1_3", "half1-AB-n3-finetune"},
      {"transfernatmanAB_1_4", "natman-AB-n4-frozen"},
      {"transfernatmanBA_1_2", "natman-BA-n2-frozen"},
      {"nolearn_1_5", "all-random-n5"},
      {"reduced-0025", "all-base-k25"},
      {"reduced-1300", "all-base-k1300"},
  };
  for (const auto& [net, id] : names) EXPECT_EQ(cell_id_for_release_net(net).value_or("<none>"), id) << net;
}

TEST(ReleaseNames, RefusesOtherNames) {
  for (const char* bad : {"", "half4", "halfA0", "transfer0A1B_1_3", "transfer0A0B_1_8", "transfer0A0B_2_3",
                          "nolearn_1_0", "reduced-25", "reduced-0000", "netbase2", "transfernatmanAA_1_1"})
    EXPECT_FALSE(cell_id_for_release_net(bad).has_value()) << bad;
}

TEST(ReleaseNames, PaperGridIsValidAndComplete) {
  auto ids = paper_grid_cell_ids();
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
  // 1 + 8 + 2 bases, 84 frozen and 42 fine-tuned transfers, 14 natman, 7 random, 12 reduced.
  EXPECT_EQ(ids.size(), 170u);
  for (const auto& id : ids) EXPECT_TRUE(parse_cell_id(id).has_value()) << id;
}

}  // namespace
}  // namespace xfer
