// result_file.cpp: the result.json reader.
#include "analysis/result_file.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

namespace xfer {

namespace {

double number_or_nan(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

}  // namespace

std::optional<NetRun> read_result_file(const std::filesystem::path& file, Diagnostics& diag) {
  const std::string name = file.string();
  std::ifstream in(file);
  if (!in) {
    diag.skip(name, 0, "cannot open");
    return std::nullopt;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    diag.skip(name, 0, std::string("not valid JSON: ") + e.what());
    return std::nullopt;
  }
  try {
    std::string schema = j.at("schema").get<std::string>();
    int version = j.at("schema_version").get<int>();
    if (schema != kResultSchema || version != kResultSchemaVersion) {
      diag.skip(name, 0, "schema '" + schema + "' version " + std::to_string(version) +
                             " is not '" + kResultSchema + "' version " +
                             std::to_string(kResultSchemaVersion));
      return std::nullopt;
    }
    NetRun run;
    run.origin = name;
    run.cell_id = j.at("cell_id").get<std::string>();
    auto cell = parse_cell_id(run.cell_id);
    if (!cell) {
      diag.skip(name, 0, "cell_id '" + run.cell_id + "' is not a cell id");
      return std::nullopt;
    }
    run.cell = *cell;
    run.finished = j.at("finished").get<bool>();
    std::map<long, CurvePoint> points;  // sorted, one per iteration
    for (const auto& p : j.at("curve")) {
      CurvePoint c;
      c.iteration = p.at("iteration").get<long>();
      c.top1 = number_or_nan(p, "top1");
      c.top5 = number_or_nan(p, "top5");
      c.loss = number_or_nan(p, "loss");
      points[c.iteration] = c;
    }
    for (const auto& [it, c] : points) run.curve.push_back(c);
    std::string folder = file.parent_path().filename().string();
    if (folder != run.cell_id)
      diag.warn(name, 0, "folder '" + folder + "' holds cell '" + run.cell_id + "'; using the file's cell_id");
    return run;
  } catch (const nlohmann::json::exception& e) {
    diag.skip(name, 0, std::string("missing or mistyped field: ") + e.what());
    return std::nullopt;
  }
}

Dataset read_results_dir(const std::filesystem::path& dir, const std::string& dataset_name,
                         Diagnostics& diag) {
  namespace fs = std::filesystem;
  Dataset ds;
  ds.name = dataset_name;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    diag.skip(dir.string(), 0, "not a results directory");
    return ds;
  }
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file() && it->path().filename() == "result.json") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) diag.warn(dir.string(), 0, "empty: no result.json files");
  for (const auto& f : files) {
    auto run = read_result_file(f, diag);
    if (!run) continue;
    if (!run->finished) {
      diag.warn(f.string(), 0, "cell '" + run->cell_id + "' is unfinished: reported, not used in groups");
      ds.unfinished.push_back(run->cell_id);
      continue;
    }
    if (run->curve.empty()) {
      diag.skip(f.string(), 0, "cell '" + run->cell_id + "' has an empty curve");
      continue;
    }
    auto [at, fresh] = ds.runs.try_emplace(run->cell_id, *run);
    if (!fresh)
      diag.skip(f.string(), 0, "cell '" + run->cell_id + "' already read from " + at->second.origin);
  }
  return ds;
}

}  // namespace xfer
