// curve.cpp: the per-network statistic.
#include "result/curve.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace xfer {

namespace {

// The one list of the statistics' names, for printing and for parsing.
constexpr std::pair<Statistic, const char*> kStatisticNames[] = {
    {Statistic::Top10, "top10"}, {Statistic::Best, "best"}, {Statistic::Final, "final"}};

}  // namespace

const char* to_string(Statistic s) {
  for (const auto& [stat, name] : kStatisticNames)
    if (stat == s) return name;
  return "?";
}

std::optional<Statistic> parse_statistic(const std::string& s) {
  for (const auto& [stat, name] : kStatisticNames)
    if (s == name) return stat;
  return std::nullopt;
}

double curve_statistic(const std::vector<CurvePoint>& curve, Statistic s) {
  std::vector<double> top1;
  for (const auto& p : curve)
    if (!std::isnan(p.top1)) top1.push_back(p.top1);
  if (top1.empty()) return NAN;
  switch (s) {
    case Statistic::Final: return top1.back();
    case Statistic::Best: return *std::max_element(top1.begin(), top1.end());
    case Statistic::Top10: {
      size_t k = std::min<size_t>(10, top1.size());
      std::partial_sort(top1.begin(), top1.begin() + k, top1.end(), std::greater<>());
      double sum = 0;
      for (size_t i = 0; i < k; ++i) sum += top1[i];
      return sum / k;
    }
  }
  return NAN;
}

}  // namespace xfer
