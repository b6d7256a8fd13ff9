// test_statistic.cpp: the per-network statistic and group summaries.
#include <gtest/gtest.h>

#include "analysis/run.h"

namespace xfer {
namespace {

std::vector<CurvePoint> curve(const std::vector<double>& top1) {
  std::vector<CurvePoint> c;
  for (size_t i = 0; i < top1.size(); ++i) c.push_back({static_cast<long>(1000 * (i + 1)), top1[i]});
  return c;
}

TEST(Statistic, TopTenBestFinal) {
  std::vector<double> v = {0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.05, 0.02};
  auto c = curve(v);
  // The 10 best: 0.9 0.85 0.8 0.7 0.6 0.5 0.4 0.3 0.2 0.1.
  EXPECT_NEAR(curve_statistic(c, Statistic::Top10), 5.35 / 10, 1e-12);
  EXPECT_DOUBLE_EQ(curve_statistic(c, Statistic::Best), 0.9);
  EXPECT_DOUBLE_EQ(curve_statistic(c, Statistic::Final), 0.02);
  EXPECT_NEAR(curve_statistic(curve({0.2, 0.4}), Statistic::Top10), 0.3, 1e-12);
  EXPECT_TRUE(std::isnan(curve_statistic({}, Statistic::Top10)));
}

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

TEST(Statistic, ParsesNames) {
  EXPECT_EQ(parse_statistic("top10"), Statistic::Top10);
  EXPECT_EQ(parse_statistic("best"), Statistic::Best);
  EXPECT_EQ(parse_statistic("final"), Statistic::Final);
  EXPECT_FALSE(parse_statistic("median").has_value());
}

}  // namespace
}  // namespace xfer
