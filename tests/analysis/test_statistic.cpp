// test_statistic.cpp: group summaries (the per-network statistic is tested in
// tests/result/).
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/run.h"

namespace xfer {
namespace {

TEST(Statistic, SummaryUsesSampleStdAndNeverZeroForEmpty) {
  Summary s = summarize({0.5, 0.7});
  EXPECT_DOUBLE_EQ(s.mean, 0.6);
  EXPECT_NEAR(s.std, std::sqrt(0.02), 1e-12);
  EXPECT_EQ(s.count, 2);
  Summary one = summarize({0.5});
  EXPECT_TRUE(std::isnan(one.std));
  Summary none = summarize({});
  EXPECT_EQ(none.count, 0);
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(std::isnan(none.mean));
}

}  // namespace
}  // namespace xfer
