// train_fixtures.h: the small generated-data run the trainer tests share.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/train_config.h"

namespace xfer::testing {

// xfer_train's arguments for 24 iterations of the small net on generated
// data: tests every 8, snapshots every 8, one thread.
inline std::vector<std::string> small_run_args(const std::string& out) {
  return {"xfer_train", "--network", "small", "--out", out, "--max-iter", "24",
          "--batch", "16", "--test-interval", "8", "--snapshot-interval", "8",
          "--threads", "1", "--synthetic-train", "96", "--synthetic-val", "40",
          "--display", "8"};
}

inline TrainConfig parse_run(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  return *parse_train_config(int(argv.size()), argv.data());
}

inline TrainConfig small_run(const std::string& out) { return parse_run(small_run_args(out)); }

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

}  // namespace xfer::testing
