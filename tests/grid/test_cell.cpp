// test_cell.cpp: cell ids format and parse back to the same cell.
#include <gtest/gtest.h>

#include "grid/cell.h"

namespace xfer {
namespace {

// A cell by its fields in declaration order, those not given as a default Cell's.
Cell make(CellKind kind, std::string split, char source = 0, char target = 0, int n = 0,
          TransferMode mode = TransferMode::None, int reduced_k = 0, int seed = 0, std::string bn = "") {
  Cell c;
  c.kind = kind;
  c.split = std::move(split);
  c.source = source;
  c.target = target;
  c.n = n;
  c.mode = mode;
  c.reduced_k = reduced_k;
  c.seed = seed;
  c.bn = std::move(bn);
  return c;
}

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
  EXPECT_EQ(back->bn, c.bn);
}

TEST(Cell, IdsRoundTrip) {
  const Cell base = make(CellKind::Base, "half0", 0, 'A');
  expect_round_trip(base, "half0-A-base");
  EXPECT_EQ(base.data_name(), "half0A");

  const Cell t = make(CellKind::Transfer, "half2", 'A', 'B', 3, TransferMode::Frozen);
  expect_round_trip(t, "half2-AB-n3-frozen");
  EXPECT_EQ(t.base_of_source().id(), "half2-A-base");
  EXPECT_EQ(t.data_name(), "half2B");

  const Cell ft = make(CellKind::Transfer, "natman", 'B', 'A', 7, TransferMode::Finetune, 0, 2);
  expect_round_trip(ft, "natman-BA-n7-finetune-s2");

  const Cell all = make(CellKind::Base, "all");
  expect_round_trip(all, "all-base");
  const Cell reduced = make(CellKind::Base, "all", 0, 0, 0, TransferMode::None, 25);
  expect_round_trip(reduced, "all-base-k25");
  EXPECT_EQ(reduced.data_name(), "all-k25");

  const Cell rnd = make(CellKind::Random, "all", 0, 0, 4, TransferMode::Random);
  expect_round_trip(rnd, "all-random-n4");
  const Cell rnd_half = make(CellKind::Random, "half1", 0, 'B', 2, TransferMode::Random, 0, 3);
  expect_round_trip(rnd_half, "half1-B-random-n2-s3");
}

// A continued base: its base's data, and it depends on exactly that base.
TEST(Cell, ContinuedBaseIdsRoundTrip) {
  const Cell a = make(CellKind::Continued, "half0", 'A', 'A', 0, TransferMode::Continue);
  expect_round_trip(a, "half0-A-base-continued");
  EXPECT_EQ(a.data_name(), "half0A");
  EXPECT_TRUE(a.needs_base());
  EXPECT_EQ(a.base_of_source().id(), "half0-A-base");

  const Cell b = make(CellKind::Continued, "half0", 'B', 'B', 0, TransferMode::Continue, 0, 1);
  expect_round_trip(b, "half0-B-base-continued-s1");
  EXPECT_EQ(b.base_of_source().id(), "half0-B-base-s1");

  const Cell d = make(CellKind::Continued, "dissim", 'A', 'A', 0, TransferMode::Continue, 0, 2);
  expect_round_trip(d, "dissim-A-base-continued-s2");
  EXPECT_EQ(d.data_name(), "dissimA");
  EXPECT_EQ(d.base_of_source().id(), "dissim-A-base-s2");

  const Cell all = make(CellKind::Continued, "all", 0, 0, 0, TransferMode::Continue);
  expect_round_trip(all, "all-base-continued");
  EXPECT_EQ(all.base_of_source().id(), "all-base");
  EXPECT_FALSE(Cell{}.needs_base());
}

// The bn axis of a network with batch normalisation: in the id of transfers and
// random cells, before the seed; the base a transfer copies has none.
TEST(Cell, BatchNormIdsRoundTrip) {
  const Cell t = transfer_cell("half0", 'A', 'B', 2, TransferMode::Finetune, 0, "train");
  expect_round_trip(t, "half0-AB-n2-finetune-bntrain");
  EXPECT_EQ(t.base_of_source().id(), "half0-A-base");
  expect_round_trip(transfer_cell("half1", 'B', 'B', 5, TransferMode::Frozen, 3, "frozen"),
                    "half1-BB-n5-frozen-bnfrozen-s3");
  const Cell rnd = make(CellKind::Random, "half0", 0, 'B', 3, TransferMode::Random, 0, 1, "frozen");
  expect_round_trip(rnd, "half0-B-random-n3-bnfrozen-s1");
  const Cell all = make(CellKind::Random, "all", 0, 0, 1, TransferMode::Random, 0, 0, "train");
  expect_round_trip(all, "all-random-n1-bntrain");
  EXPECT_NE(transfer_cell("half0", 'A', 'B', 2, TransferMode::Frozen, 0, "train").id(),
            transfer_cell("half0", 'A', 'B', 2, TransferMode::Frozen, 0, "frozen").id());
}

TEST(Cell, RejectsMalformedIds) {
  for (const char* bad : {"", "half0", "half0-AB-n3", "half0-AB-n0-frozen", "half0-AB-n3-melted",
                          "half0-C-base", "half0-A-base-x", "all-random", "all-random-nx",
                          "-A-base", "half0-A-base-k25-continued", "half0-A-base-continued-x",
                          "half0-A-continued", "half0-A-base-continue", "half0-AA-base-continued",
                          "half0-AB-n3-frozen-bneval", "half0-AB-n3-frozen-bn", "half0-A-base-bnfrozen",
                          "half0-A-base-continued-bntrain", "half0-AB-n3-bntrain-frozen",
                          "half0-AB-n3-frozen-s1-bntrain"}) {
    EXPECT_FALSE(parse_cell_id(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace xfer
