// result.h: a run's result file, result.json in its output folder (schema
// "xfer.result", version 1): the validation curve, the paper's statistic
// (mean of the 10 best top-1 values), final values, speed and provenance.
// The analysis binaries read it; README.md documents every field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xfer {

struct TestPoint {
  int64_t iteration = 0;
  double top1 = 0, top5 = 0, loss = 0;
};

struct RunResult {
  std::string cell_id, preset, config_hash, backend = "cpu";
  int num_classes = 0, num_outputs = 0, ranks = 1;
  bool finished = false, tf32 = false;
  // "finished", or "diverged" at diverged_iteration because of diverged_what
  // ("loss nan", "test loss inf"); a diverged result has no statistic.
  std::string status = "finished";
  int64_t diverged_iteration = 0;
  std::string diverged_what;
  // What produced it (train/provenance.h): code, libraries, host, CPU, command.
  std::string provenance_json;
  int64_t iterations = 0;
  std::vector<TestPoint> curve;
  double images_per_s = 0, wall_s = 0;
  // Data parallelism, per training step of this session: gradient bytes each
  // rank reduced, seconds inside allreduce, the share of it hidden behind
  // backward, and the whole step.
  double comm_bytes_per_step = 0, comm_s_per_step = 0, comm_hidden_fraction = 1, step_s = 0;
};

// The paper's statistic: the mean of the (up to) 10 best top-1 values.
double top10_mean_top1(const std::vector<TestPoint>& curve);

std::string result_to_json(const RunResult& r);
void write_result(const std::string& path, const RunResult& r);  // atomic
// The curve as JSON (kept inside checkpoints so a resumed run keeps it).
std::string curve_to_json(const std::vector<TestPoint>& curve);
std::vector<TestPoint> curve_from_json(const std::string& s);

}  // namespace xfer
