// progress.cpp: progress.json.
#include "result/progress.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "result/result_file.h"  // read_json_leniently

namespace xfer {

using nlohmann::json;

double epoch_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

Progress progress_now(int64_t iteration, int64_t max_iter, double rate) {
  Progress p{iteration, max_iter, 0, -1, epoch_seconds()};
  if (std::isfinite(rate) && rate > 0) {
    p.rate = rate;
    p.eta_s = double(std::max<int64_t>(max_iter - iteration, 0)) / rate;
  }
  return p;
}

std::string progress_to_json(const Progress& p) {
  json j = {{"iteration", p.iteration}, {"max_iter", p.max_iter}, {"rate", p.rate},
            {"eta_s", p.eta_s},         {"updated", p.updated}};
  return j.dump();
}

void write_progress(const std::string& path, const Progress& p) {
  write_file_atomic(path, progress_to_json(p) + "\n");
}

namespace {

bool read_int(const json& j, const char* key, int64_t& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return false;
  out = it->get<int64_t>();
  return true;
}

bool read_number(const json& j, const char* key, double& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return false;
  out = it->get<double>();
  return std::isfinite(out);
}

}  // namespace

std::optional<Progress> read_progress(const std::string& path) {
  const json j = read_json_leniently(path);
  if (!j.is_object()) return std::nullopt;  // also what does not read
  Progress p;
  if (read_int(j, "iteration", p.iteration) && read_int(j, "max_iter", p.max_iter) &&
      read_number(j, "rate", p.rate) && read_number(j, "eta_s", p.eta_s) && read_number(j, "updated", p.updated))
    return p;
  return std::nullopt;
}

double seconds_left(const Progress& p, double now) {
  if (p.rate <= 0 || p.eta_s < 0) return -1;
  return std::max(0.0, p.eta_s - (now - p.updated));
}

}  // namespace xfer
