// statistic.cpp: the per-group summary (the per-network statistic is
// result/curve.cpp's).
#include <cmath>

#include "analysis/run.h"

namespace xfer {

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
