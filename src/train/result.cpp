// result.cpp: result.json.
#include "train/result.h"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/provenance.h"
#include "io/atomic_file.h"

namespace xfer {

double top10_mean_top1(const std::vector<TestPoint>& curve) {
  if (curve.empty()) return 0;
  std::vector<double> v;
  for (const auto& p : curve) v.push_back(p.top1);
  std::sort(v.begin(), v.end(), std::greater<>());
  size_t k = std::min<size_t>(10, v.size());
  double s = 0;
  for (size_t i = 0; i < k; ++i) s += v[i];
  return s / k;
}

namespace {
nlohmann::json curve_json(const std::vector<TestPoint>& curve) {
  auto a = nlohmann::json::array();
  for (const auto& p : curve)
    a.push_back({{"iteration", p.iteration}, {"top1", p.top1}, {"top5", p.top5}, {"loss", p.loss}});
  return a;
}
}  // namespace

std::string result_to_json(const RunResult& r) {
  nlohmann::json j;
  j["schema"] = "xfer.result";
  j["schema_version"] = 1;
  j["cell_id"] = r.cell_id;
  j["preset"] = r.preset;
  j["config_hash"] = r.config_hash;
  j["code_version"] = code_version();
  j["num_classes"] = r.num_classes;
  j["num_outputs"] = r.num_outputs;
  j["status"] = r.status;
  j["finished"] = r.finished;
  if (r.status == "diverged")
    j["diverged"] = {{"iteration", r.diverged_iteration}, {"what", r.diverged_what}};
  j["iterations"] = r.iterations;
  j["curve"] = curve_json(r.curve);
  nlohmann::json st = nlohmann::json::object();
  if (!r.curve.empty() && r.status == "finished") {
    double best = 0;
    for (const auto& p : r.curve) best = std::max(best, p.top1);
    st["top10_mean_top1"] = top10_mean_top1(r.curve);
    st["best_top1"] = best;
    st["final_top1"] = r.curve.back().top1;
    st["final_top5"] = r.curve.back().top5;
    st["final_loss"] = r.curve.back().loss;
  }
  j["statistic"] = st;
  j["images_per_s"] = r.images_per_s;
  j["wall_s"] = r.wall_s;
  j["backend"] = r.backend;
  j["tf32"] = r.tf32;
  j["ranks"] = r.ranks;
  j["step_s"] = r.step_s;
  if (!r.provenance_json.empty()) j["provenance"] = nlohmann::json::parse(r.provenance_json);
  j["comm"] = {{"bytes_per_step", r.comm_bytes_per_step},
               {"seconds_per_step", r.comm_s_per_step},
               {"hidden_fraction", r.comm_hidden_fraction}};
  return j.dump(1);
}

void write_result(const std::string& path, const RunResult& r) {
  write_file_atomic(path, result_to_json(r) + "\n");
}

std::string curve_to_json(const std::vector<TestPoint>& curve) { return curve_json(curve).dump(); }

std::vector<TestPoint> curve_from_json(const std::string& s) {
  std::vector<TestPoint> v;
  if (s.empty()) return v;
  for (const auto& e : nlohmann::json::parse(s))
    v.push_back({e.at("iteration").get<int64_t>(), e.at("top1").get<double>(),
                 e.at("top5").get<double>(), e.at("loss").get<double>()});
  return v;
}

}  // namespace xfer
