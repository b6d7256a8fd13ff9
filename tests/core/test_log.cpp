// test_log.cpp: the one duration format of every ETA and elapsed time.
#include <gtest/gtest.h>

#include "core/log.h"

namespace xfer {
namespace {

TEST(Log, DurationsForPeople) {
  EXPECT_EQ(format_duration(0), "0:00");
  EXPECT_EQ(format_duration(5.4), "0:05");
  EXPECT_EQ(format_duration(478), "7:58");
  EXPECT_EQ(format_duration(3600), "1:00:00");
  EXPECT_EQ(format_duration(3 * 86400 + 62), "72:01:02");  // hours go on past a day
  EXPECT_EQ(format_duration(-1), "-");
  EXPECT_EQ(format_duration(1e12), "-");
}

}  // namespace
}  // namespace xfer
