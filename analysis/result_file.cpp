// result_file.cpp: the result.json reader, the one place that decides which
// of our runs the analysis may pool.
#include "analysis/result_file.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>
#include <vector>

#include "grid/grid.h"

namespace xfer {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A top-level field that is missing or of another type: caught where the file
// is read, so that the one message names the field.
struct FieldError {
  std::string what;
};

const json& member(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) throw FieldError{std::string("field '") + key + "' is missing"};
  return *it;
}

template <class T>
T field(const json& j, const char* key) {
  const json& v = member(j, key);
  bool ok = false;
  const char* want = "";
  if constexpr (std::is_same_v<T, bool>) {
    ok = v.is_boolean();
    want = "a boolean";
  } else if constexpr (std::is_same_v<T, std::string>) {
    ok = v.is_string();
    want = "a string";
  } else {
    static_assert(std::is_integral_v<T>);
    ok = v.is_number_integer();
    want = "an integer";
  }
  if (!ok) throw FieldError{std::string("field '") + key + "' is " + v.type_name() + ", not " + want};
  return v.get<T>();
}

bool read_json(const fs::path& file, json& j, Diagnostics& diag) {
  std::ifstream in(file);
  if (!in) {
    diag.skip(file.string(), 0, "cannot open");
    return false;
  }
  try {
    j = json::parse(in);
    return true;
  } catch (const json::exception& e) {
    // Not only parse_error: a number too large for a double (1e999) is out_of_range.
    diag.skip(file.string(), 0, std::string("not valid JSON: ") + e.what());
    return false;
  }
}

bool schema_ok(const json& j, const std::string& name, Diagnostics& diag) {
  std::string schema = field<std::string>(j, "schema");
  int version = field<int>(j, "schema_version");
  if (schema == kResultSchema && version == kResultSchemaVersion) return true;
  diag.skip(name, 0, "schema '" + schema + "' version " + std::to_string(version) + " is not '" +
                         kResultSchema + "' version " + std::to_string(kResultSchemaVersion));
  return false;
}

// "at iteration 24 (loss nan)" from the trainer's "diverged" record.
std::string divergence_of(const json& j) {
  auto d = j.find("diverged");
  if (d == j.end() || !d->is_object()) return "(no details recorded)";
  auto it = d->find("iteration");
  std::string s = "at iteration " + (it == d->end() ? std::string("?") : it->dump());
  if (auto w = d->find("what"); w != d->end()) s += " (" + (w->is_string() ? w->get<std::string>() : w->dump()) + ")";
  return s;
}

// How the run ended: "status" where the trainer writes it, else (files from
// before it did) "finished". nullopt, reported, where the two disagree.
std::optional<RunStatus> read_status(const json& j, NetRun& run, Diagnostics& diag) {
  bool finished = field<bool>(j, "finished");
  auto it = j.find("status");
  if (it == j.end()) return finished ? RunStatus::Finished : RunStatus::Unfinished;
  std::string status = field<std::string>(j, "status");
  if (status == "diverged") {
    run.divergence = divergence_of(j);
    return RunStatus::Diverged;
  }
  if ((status == "finished") != finished) {
    diag.skip(run.origin, 0, "status '" + status + "' contradicts \"finished\": " + (finished ? "true" : "false"));
    return std::nullopt;
  }
  return finished ? RunStatus::Finished : RunStatus::Unfinished;
}

// What is wrong with one value of a curve point; empty when it is a finite
// number. nlohmann writes NaN and infinity as null, so null is the usual case.
std::string value_problem(const json& p, const char* key) {
  auto it = p.find(key);
  std::string k = key;
  if (it == p.end()) return k + " is missing";
  if (it->is_null()) return k + " is null, not a number (NaN or infinity written as JSON)";
  if (it->is_string()) return k + " is a string ('" + it->get<std::string>() + "'), not a number";
  if (!it->is_number()) return k + " is " + it->type_name() + ", not a number";
  if (!std::isfinite(it->get<double>())) return k + " is not finite";
  return "";
}

std::string point_problem(const json& p) {
  if (!p.is_object()) return std::string("is ") + p.type_name() + ", not an object";
  auto it = p.find("iteration");
  if (it == p.end() || !it->is_number_integer()) return "has no integer iteration";
  for (const char* key : {"top1", "top5", "loss"})
    if (auto problem = value_problem(p, key); !problem.empty()) return problem;
  return "";
}

// The curve, sorted and one point per iteration; false, reported once with its
// first bad point, where any value is not a finite number: dropped, such a
// point would change the statistic without a word, kept, it would poison it.
bool read_curve(const json& curve, const std::string& name, std::vector<CurvePoint>& out, Diagnostics& diag) {
  if (!curve.is_array()) {
    diag.skip(name, 0, std::string("curve is ") + curve.type_name() + ", not an array");
    return false;
  }
  std::map<long, CurvePoint> points;
  std::string first;
  int bad = 0;
  for (size_t i = 0; i < curve.size(); ++i) {
    const json& p = curve[i];
    if (std::string problem = point_problem(p); !problem.empty()) {
      std::string at = p.is_object() && p.contains("iteration") ? " (iteration " + p["iteration"].dump() + ")" : "";
      if (bad++ == 0) first = "curve point " + std::to_string(i + 1) + at + ": " + problem;
      continue;
    }
    CurvePoint c{p["iteration"].get<long>(), p["top1"].get<double>(), p["top5"].get<double>(),
                 p["loss"].get<double>()};
    points[c.iteration] = c;
  }
  if (bad) {
    diag.skip(name, 0, first + (bad > 1 ? " (and " + std::to_string(bad - 1) + " more bad point(s))" : ""));
    return false;
  }
  for (const auto& [it, c] : points) out.push_back(c);
  return true;
}

// Finite values can still sum past the largest double: what is pooled is the
// statistic, so it is checked too. Empty when all of them are finite.
std::string statistic_problem(const std::vector<CurvePoint>& curve) {
  if (curve.empty()) return "";  // reported where runs are placed
  for (Statistic s : {Statistic::Top10, Statistic::Best, Statistic::Final})
    if (double v = curve_statistic(curve, s); !std::isfinite(v))
      return std::string("curve gives a non-finite ") + to_string(s) + " statistic (" + std::to_string(v) + ")";
  return "";
}

}  // namespace

std::optional<NetRun> read_result_file(const fs::path& file, Diagnostics& diag) {
  const std::string name = file.string();
  json j;
  if (!read_json(file, j, diag)) return std::nullopt;
  if (!j.is_object()) {
    diag.skip(name, 0, std::string("holds a JSON ") + j.type_name() + ", not an object");
    return std::nullopt;
  }
  try {
    if (!schema_ok(j, name, diag)) return std::nullopt;
    NetRun run;
    run.origin = name;
    run.cell_id = field<std::string>(j, "cell_id");
    auto cell = parse_cell_id(run.cell_id);
    if (!cell) {
      diag.skip(name, 0, "cell_id '" + run.cell_id + "' is not a cell id");
      return std::nullopt;
    }
    run.cell = *cell;
    auto status = read_status(j, run, diag);
    if (!status) return std::nullopt;
    run.status = *status;
    // A diverged run's curve holds the NaN that stopped it: there is nothing to read.
    if (run.status != RunStatus::Diverged && !read_curve(member(j, "curve"), name, run.curve, diag)) return std::nullopt;
    if (std::string problem = statistic_problem(run.curve); !problem.empty()) {
      diag.skip(name, 0, problem);
      return std::nullopt;
    }
    std::string folder = file.parent_path().filename().string();
    if (folder != run.cell_id)
      diag.warn(name, 0, "folder '" + folder + "' holds cell '" + run.cell_id + "'; using the file's cell_id");
    return run;
  } catch (const FieldError& e) {
    diag.skip(name, 0, e.what);
    return std::nullopt;
  } catch (const json::exception& e) {  // what the checks above did not foresee
    diag.skip(name, 0, std::string("unexpected content: ") + e.what());
    return std::nullopt;
  }
}

namespace {

// A dot folder holds what was set aside, not results: xfer_grid --rerun-stale
// moves old cells to <results>/.stale/, and reading them would bring them back.
bool is_hidden(const fs::path& p) {
  std::string n = p.filename().string();
  return !n.empty() && n[0] == '.';
}

std::vector<fs::path> find_result_files(const fs::path& dir, bool include_hidden, Diagnostics& diag) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!include_hidden && it->is_directory() && is_hidden(it->path())) {
      diag.warn(it->path().string(), 0, "hidden folder not read (--include-hidden reads it)");
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && it->path().filename() == "result.json") files.push_back(it->path());
  }
  if (ec) diag.warn(dir.string(), 0, "listing stopped early: " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

// Puts a run where its status says: the groups, the unfinished list, or only
// the warnings.
void place(NetRun run, Dataset& ds, Diagnostics& diag) {
  switch (run.status) {
    case RunStatus::Diverged:
      diag.skip(run.origin, 0, "cell '" + run.cell_id + "' diverged " + run.divergence);
      return;
    case RunStatus::Unfinished:
      diag.warn(run.origin, 0, "cell '" + run.cell_id + "' is unfinished: reported, not used in groups");
      ds.unfinished.push_back(run.cell_id);
      return;
    case RunStatus::Finished:
      if (run.curve.empty()) {
        diag.skip(run.origin, 0, "cell '" + run.cell_id + "' has an empty curve");
        return;
      }
      std::string id = run.cell_id;
      ds.runs.emplace(id, std::move(run));
      return;
  }
}

}  // namespace

namespace {

// The cells of <dir>/grid.ini (written by `xfer_grid run` and jobs/grid.sh),
// or nothing when there is none or it does not read.
std::optional<std::vector<Cell>> planned_cells(const fs::path& dir, Diagnostics& diag) {
  const fs::path ini = dir / "grid.ini";
  std::error_code ec;
  if (!fs::is_regular_file(ini, ec)) return std::nullopt;
  try {
    std::vector<Cell> cells;
    for (const auto& c : enumerate_grid(load_grid_config(ini.string(), {})).cells) cells.push_back(c.cell);
    return cells;
  } catch (const std::exception& e) {
    diag.warn(ini.string(), 0, std::string("not read (") + e.what() + "): every group of the paper is expected");
    return std::nullopt;
  }
}

}  // namespace

Dataset read_results_dir(const fs::path& dir, const std::string& dataset_name, Diagnostics& diag,
                         bool include_hidden) {
  Dataset ds;
  ds.name = dataset_name;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    diag.error(dir.string(), 0, "no such results directory");
    return ds;
  }
  ds.planned = planned_cells(dir, diag);
  auto files = find_result_files(dir, include_hidden, diag);
  if (files.empty()) diag.warn(dir.string(), 0, "empty: no result.json files");
  std::map<std::string, std::string> origin;  // cell id -> the first file that held it
  std::set<std::string> doubled;
  for (const auto& f : files) {
    auto run = read_result_file(f, diag);
    if (!run) continue;
    auto [at, fresh] = origin.try_emplace(run->cell_id, f.string());
    if (fresh) {
      place(std::move(*run), ds, diag);
      continue;
    }
    // Which of the two is current is not knowable from here (path order
    // would be a guess): neither is used, and the binaries stop.
    diag.error("", 0, "two result files for cell '" + run->cell_id + "': " + at->second + " and " + f.string() +
                          " (keep one: move the other away)");
    doubled.insert(run->cell_id);
  }
  for (const auto& id : doubled) {
    ds.runs.erase(id);
    ds.unfinished.erase(std::remove(ds.unfinished.begin(), ds.unfinished.end(), id), ds.unfinished.end());
  }
  return ds;
}

}  // namespace xfer
