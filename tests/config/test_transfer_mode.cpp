// test_transfer_mode.cpp: the transfer mode's names, printed and parsed by
// one pair of functions.
#include <gtest/gtest.h>

#include "config/transfer_mode.h"

namespace xfer {
namespace {

TEST(TransferMode, EveryModeRoundTripsThroughItsName) {
  for (TransferMode m : {TransferMode::None, TransferMode::Frozen, TransferMode::Finetune, TransferMode::Random,
                         TransferMode::Continue}) {
    const std::optional<TransferMode> back = parse_transfer_mode(to_string(m));
    ASSERT_TRUE(back) << to_string(m);
    EXPECT_EQ(*back, m) << to_string(m);
  }
  EXPECT_STREQ(to_string(TransferMode::Finetune), "finetune");
}

TEST(TransferMode, AnUnknownNameIsRejected) {
  for (const char* s : {"melted", "", "Frozen", "frozen ", "fine-tune"}) EXPECT_FALSE(parse_transfer_mode(s)) << s;
}

TEST(TransferMode, WhatEachModeDoesWithTheLayers) {
  struct Does {
    TransferMode mode;
    bool copies, freezes, counts;
  };
  // Continue copies every layer and trains them all: no layer count.
  for (const Does& d : {Does{TransferMode::None, false, false, false}, Does{TransferMode::Frozen, true, true, true},
                        Does{TransferMode::Finetune, true, false, true}, Does{TransferMode::Random, false, true, true},
                        Does{TransferMode::Continue, true, false, false}}) {
    EXPECT_EQ(copies_layers(d.mode), d.copies) << to_string(d.mode);
    EXPECT_EQ(freezes_layers(d.mode), d.freezes) << to_string(d.mode);
    EXPECT_EQ(takes_layer_count(d.mode), d.counts) << to_string(d.mode);
  }
}

}  // namespace
}  // namespace xfer
