// statistic.cpp: the per-network statistic and the per-group summary.
#include <algorithm>
#include <functional>

#include "analysis/run.h"

namespace xfer {

const char* to_string(Statistic s) {
  switch (s) {
    case Statistic::Top10: return "top10";
    case Statistic::Best: return "best";
    case Statistic::Final: return "final";
  }
  return "?";
}

std::optional<Statistic> parse_statistic(const std::string& s) {
  if (s == "top10") return Statistic::Top10;
  if (s == "best") return Statistic::Best;
  if (s == "final") return Statistic::Final;
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

Summary summarize(const std::vector<double>& values) {
  Summary s;
  std::vector<double> v;
  for (double x : values)
    if (!std::isnan(x)) v.push_back(x);
  s.count = static_cast<int>(v.size());
  if (v.empty()) return s;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / v.size();
  if (v.size() >= 2) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(ss / (v.size() - 1));
  }
  return s;
}

}  // namespace xfer
