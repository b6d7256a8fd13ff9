// test_cell.cpp: cell ids format and parse back to the same cell.
#include <gtest/gtest.h>

#include "grid/cell.h"

namespace xfer {
namespace {

void expect_round_trip(const Cell& c, const std::string& id) {
  EXPECT_EQ(c.id(), id);
  auto back = parse_cell_id(id);
  ASSERT_TRUE(back.has_value()) << id;
  EXPECT_EQ(back->id(), id);
  EXPECT_EQ(back->kind, c.kind);
  EXPECT_EQ(back->n, c.n);
  EXPECT_EQ(back->mode, c.mode);
  EXPECT_EQ(back->target, c.target);
  EXPECT_EQ(back->source, c.source);
  EXPECT_EQ(back->seed, c.seed);
  EXPECT_EQ(back->reduced_k, c.reduced_k);
}

TEST(Cell, IdsRoundTrip) {
  Cell base{CellKind::Base, "half0", 0, 'A'};
  expect_round_trip(base, "half0-A-base");
  EXPECT_EQ(base.data_name(), "half0A");

  Cell t{CellKind::Transfer, "half2", 'A', 'B', 3, TransferMode::Frozen};
  expect_round_trip(t, "half2-AB-n3-frozen");
  EXPECT_EQ(t.base_of_source().id(), "half2-A-base");
  EXPECT_EQ(t.data_name(), "half2B");

  Cell ft{CellKind::Transfer, "natman", 'B', 'A', 7, TransferMode::Finetune, 0, 2};
  expect_round_trip(ft, "natman-BA-n7-finetune-s2");

  Cell all{CellKind::Base, "all"};
  expect_round_trip(all, "all-base");
  Cell reduced{CellKind::Base, "all", 0, 0, 0, TransferMode::None, 25};
  expect_round_trip(reduced, "all-base-k25");
  EXPECT_EQ(reduced.data_name(), "all-k25");

  Cell rnd{CellKind::Random, "all", 0, 0, 4, TransferMode::Random};
  expect_round_trip(rnd, "all-random-n4");
  Cell rnd_half{CellKind::Random, "half1", 0, 'B', 2, TransferMode::Random, 0, 3};
  expect_round_trip(rnd_half, "half1-B-random-n2-s3");
}

// A continued base: its base's data, and it depends on exactly that base.
TEST(Cell, ContinuedBaseIdsRoundTrip) {
  Cell a{CellKind::Continued, "half0", 'A', 'A', 0, TransferMode::Continue};
  expect_round_trip(a, "half0-A-base-continued");
  EXPECT_EQ(a.data_name(), "half0A");
  EXPECT_TRUE(a.needs_base());
  EXPECT_EQ(a.base_of_source().id(), "half0-A-base");

  Cell b{CellKind::Continued, "half0", 'B', 'B', 0, TransferMode::Continue, 0, 1};
  expect_round_trip(b, "half0-B-base-continued-s1");
  EXPECT_EQ(b.base_of_source().id(), "half0-B-base-s1");

  Cell d{CellKind::Continued, "dissim", 'A', 'A', 0, TransferMode::Continue, 0, 2};
  expect_round_trip(d, "dissim-A-base-continued-s2");
  EXPECT_EQ(d.data_name(), "dissimA");
  EXPECT_EQ(d.base_of_source().id(), "dissim-A-base-s2");

  Cell all{CellKind::Continued, "all", 0, 0, 0, TransferMode::Continue};
  expect_round_trip(all, "all-base-continued");
  EXPECT_EQ(all.base_of_source().id(), "all-base");
  EXPECT_FALSE(Cell{}.needs_base());
}

TEST(Cell, RejectsMalformedIds) {
  for (const char* bad : {"", "half0", "half0-AB-n3", "half0-AB-n0-frozen", "half0-AB-n3-melted",
                          "half0-C-base", "half0-A-base-x", "all-random", "all-random-nx",
                          "-A-base", "half0-A-base-k25-continued", "half0-A-base-continued-x",
                          "half0-A-continued", "half0-A-base-continue", "half0-AA-base-continued"}) {
    EXPECT_FALSE(parse_cell_id(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace xfer
