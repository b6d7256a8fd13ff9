// test_curve.cpp: the per-network statistic and the statistics' names.
#include "result/curve.h"

#include <gtest/gtest.h>

namespace xfer {
namespace {

std::vector<CurvePoint> curve(const std::vector<double>& top1) {
  std::vector<CurvePoint> c;
  for (size_t i = 0; i < top1.size(); ++i) c.push_back({static_cast<int64_t>(1000 * (i + 1)), top1[i]});
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

TEST(Statistic, PointsWithoutTopOneAreLeftOut) {
  auto c = curve({0.4, NAN, 0.2});
  EXPECT_NEAR(curve_statistic(c, Statistic::Top10), 0.3, 1e-12);
  EXPECT_DOUBLE_EQ(curve_statistic(c, Statistic::Final), 0.2);
  EXPECT_TRUE(std::isnan(curve_statistic(curve({NAN}), Statistic::Best)));
}

TEST(Statistic, NamesRoundTrip) {
  for (Statistic s : {Statistic::Top10, Statistic::Best, Statistic::Final}) EXPECT_EQ(parse_statistic(to_string(s)), s);
  EXPECT_STREQ(to_string(Statistic::Top10), "top10");
  EXPECT_STREQ(to_string(Statistic::Best), "best");
  EXPECT_STREQ(to_string(Statistic::Final), "final");
  EXPECT_FALSE(parse_statistic("median").has_value());
}

}  // namespace
}  // namespace xfer
