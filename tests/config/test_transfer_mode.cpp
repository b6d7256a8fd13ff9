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
  EXPECT_TRUE(copies_layers(TransferMode::Frozen));
  EXPECT_TRUE(copies_layers(TransferMode::Finetune));
  EXPECT_FALSE(copies_layers(TransferMode::Random));
  EXPECT_FALSE(copies_layers(TransferMode::None));
  EXPECT_TRUE(freezes_layers(TransferMode::Frozen));
  EXPECT_TRUE(freezes_layers(TransferMode::Random));
  EXPECT_FALSE(freezes_layers(TransferMode::Finetune));
  EXPECT_FALSE(freezes_layers(TransferMode::None));
  // Continue copies every layer and trains them all: no layer count.
  EXPECT_TRUE(copies_layers(TransferMode::Continue));
  EXPECT_FALSE(freezes_layers(TransferMode::Continue));
  EXPECT_FALSE(takes_layer_count(TransferMode::Continue));
  EXPECT_FALSE(takes_layer_count(TransferMode::None));
  EXPECT_TRUE(takes_layer_count(TransferMode::Random));
}

}  // namespace
}  // namespace xfer
