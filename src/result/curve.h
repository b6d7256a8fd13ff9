// curve.h: a run's validation curve and the single number that stands for a
// network: the paper's statistic (the mean of the 10 best top-1 values), or the
// best or the final top-1. The trainer, the grid and analysis/ all use these.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xfer {

// One validation test. Values a source does not record (Caffe logs have no
// top-5) are NaN.
struct CurvePoint {
  int64_t iteration = 0;
  double top1 = NAN;
  double top5 = NAN;
  double loss = NAN;
  int64_t images = 0;  // validation images the test scored; 0 where not recorded (Caffe logs, older results)
};

// Which single number stands for a network.
enum class Statistic {
  Top10,  // the paper's: mean of the 10 highest top-1 values of the run
  Best,   // highest top-1
  Final,  // top-1 at the last test
};
const char* to_string(Statistic s);
std::optional<Statistic> parse_statistic(const std::string& s);

// The statistic of one curve, over its points with a top-1; NaN when there are
// none. With fewer than 10 points, Top10 averages all of them.
double curve_statistic(const std::vector<CurvePoint>& curve, Statistic s);

}  // namespace xfer
