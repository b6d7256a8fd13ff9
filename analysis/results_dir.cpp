// results_dir.cpp: which of our runs the analysis may pool: every result.json
// of a results directory, read by result/result_file.cpp, placed by status.
#include "analysis/results_dir.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "config/run_identity.h"
#include "grid/grid.h"

namespace xfer {

namespace fs = std::filesystem;

std::optional<NetRun> read_result_file(const fs::path& file, Diagnostics& diag) {
  const std::string name = file.string();
  ResultProblem problem;
  std::optional<RunResult> record = parse_result_file(file, problem);
  if (!record) {
    diag.skip(problem.file, 0, problem.what);
    return std::nullopt;
  }
  auto cell = parse_cell_id(record->cell_id);
  if (!cell) {
    diag.skip(name, 0, "cell_id '" + record->cell_id + "' is not a cell id");
    return std::nullopt;
  }
  NetRun run;
  static_cast<RunResult&>(run) = std::move(*record);
  run.cell = *cell;
  run.origin = name;
  const fs::path similarity = file.parent_path() / kSimilarityFileName;
  try {
    run.similarity = read_similarity_file_if_present(similarity.string());
  } catch (const std::exception& e) {
    diag.skip(similarity.string(), 0, std::string(e.what()) + " (its similarities left out)");
  }
  std::string folder = file.parent_path().filename().string();
  if (folder != run.cell_id)
    diag.warn(name, 0, "folder '" + folder + "' holds cell '" + run.cell_id + "'; using the file's cell_id");
  return run;
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
    if (it->is_regular_file() && it->path().filename() == kResultFileName) files.push_back(it->path());
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
      diag.skip(run.origin, 0, "cell '" + run.cell_id + "' " + diverged_reason(run));
      return;
    case RunStatus::Missing:  // the strict reader refuses instead
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

namespace {

// The run identity that <folder>/config.ini defines, with the data identity
// cell.json recorded (the data need not be here) and `base` the identity of the
// base the run copied. Empty when the folder has no config.ini or cell.json (a
// result copied alone, or not from the grid: nothing to check it against).
// Throws std::runtime_error naming the file that does not read.
std::string identity_of_config(const fs::path& folder, const std::string& base) {
  const fs::path ini = folder / "config.ini", record = folder / "cell.json";
  std::error_code ec;
  if (!fs::is_regular_file(ini, ec) || !fs::is_regular_file(record, ec)) return "";
  const nlohmann::json cell = read_json_leniently(record.string());
  if (!cell.is_object() || !cell.contains("data_identity") || !cell["data_identity"].is_string())
    throw std::runtime_error(record.string() + ": no data_identity recorded");
  const std::string path = ini.string();
  const char* argv[] = {"xfer_train", "--config", path.c_str()};
  std::optional<TrainConfig> cfg;
  try {
    cfg = parse_train_config(3, argv);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": does not read as the trainer's options (" + e.what() + ")");
  }
  if (!cfg) throw std::runtime_error(path + ": does not read as the trainer's options");
  return run_identity(*cfg, cell["data_identity"].get<std::string>(), base);
}

// A result is what defines it, not where it lies: each result whose folder
// holds the config.ini and cell.json it was trained from must carry the
// identity that config gives. One that does not (a config edited after the
// run, a result copied into another cell's folder) is named and left out.
void check_identities(Dataset& ds, Diagnostics& diag) {
  std::vector<std::string> refused;
  for (const auto& [id, run] : ds.runs) {
    std::string base;
    if (run.cell.needs_base()) {
      auto b = ds.runs.find(run.cell.base_of_source().id());
      if (b == ds.runs.end()) continue;  // its unit is left out for want of a base (effects.h)
      base = b->second.config_hash;
    }
    try {
      const std::string want = identity_of_config(fs::path(run.origin).parent_path(), base);
      if (want.empty() || want == run.config_hash) continue;
      diag.error(run.origin, 0, "identity " + run.config_hash + " is not " + want +
                                    ", the identity of the config.ini beside it: this result was not trained from "
                                    "that configuration (left out)");
    } catch (const std::exception& e) {
      diag.error(run.origin, 0, std::string("identity not checked: ") + e.what() + " (left out)");
    }
    refused.push_back(id);
  }
  for (const auto& id : refused) ds.runs.erase(id);
}

// A similarity belongs to the runs it was computed from: each comparison must
// name this run's identity and the identity of the other run now in the
// results (a retrained cell or base makes it stale), and every file must have
// used the same images (those of most files; a file on other images is left
// out whole). What does not match is named and left out: the generality table
// never pairs a similarity with a result it was not computed from.
void check_similarities(Dataset& ds, Diagnostics& diag) {
  std::map<std::string, int> votes;
  auto key = [](const SimilarityImagesId& i) { return i.data + "/" + std::to_string(i.count) + "/" + std::to_string(i.batch); };
  for (const auto& [id, run] : ds.runs)
    if (run.similarity) ++votes[key(run.similarity->images)];
  std::string common;
  int most = 0;
  for (const auto& [k, v] : votes)
    if (v > most) most = v, common = k;
  for (auto& entry : ds.runs) {  // not a structured binding: the lambda below captures the run
    const std::string& id = entry.first;
    NetRun& run = entry.second;
    if (!run.similarity) continue;
    const std::string file = (fs::path(run.origin).parent_path() / kSimilarityFileName).string();
    if (key(run.similarity->images) != common || run.similarity->cell != id) {
      diag.skip(file, 0, "computed on other images (or for another cell) than the other similarity.json files: "
                         "left out (run xfer_similarity --results again)");
      run.similarity.reset();
      continue;
    }
    auto& cs = run.similarity->comparisons;
    cs.erase(std::remove_if(cs.begin(), cs.end(),
                            [&](const Comparison& c) {
                              auto other = ds.runs.find(c.other);
                              std::string why;
                              if (c.net.run != run.config_hash) why = "this cell was trained again since";
                              else if (other == ds.runs.end()) why = c.other + " has no finished result here";
                              else if (c.other_net.run != other->second.config_hash)
                                why = c.other + " was trained again since";
                              if (why.empty()) return false;
                              diag.skip(file, 0, "its " + c.role + " comparison with " + c.other + " is stale (" + why +
                                                     "): left out (run xfer_similarity --results again)");
                              return true;
                            }),
             cs.end());
  }
}

// The network the runs trained (result.json's "preset"): one per data set, so
// n counts the same units in every group. Runs of several networks in one
// tree are an error naming each network and a run of it.
void take_network(Dataset& ds, Diagnostics& diag) {
  std::map<std::string, std::string> seen;  // preset -> a run of it
  for (const auto& [id, run] : ds.runs) seen.try_emplace(run.preset.empty() ? "caffenet" : run.preset, run.origin);
  if (seen.size() > 1) {
    std::string list;
    for (const auto& [net, file] : seen) list += (list.empty() ? "" : ", ") + net + " (" + file + ")";
    diag.error("", 0, ds.name + ": results of different networks in one directory: " + list +
                          " (analyse each network's results apart)");
    return;
  }
  if (seen.empty()) return;
  try {
    ds.set_network(seen.begin()->first);
  } catch (const std::exception& e) {
    diag.error(seen.begin()->second, 0, std::string("network not known to this analysis: ") + e.what());
  }
}

}  // namespace

std::vector<Dataset> split_by_batch_norm(Dataset ds) {
  std::set<std::string> values;
  auto bn_of = [](const std::string& id) {
    const auto c = parse_cell_id(id);
    return c ? c->bn : std::string();
  };
  for (const auto& [id, run] : ds.runs) values.insert(run.cell.bn);
  for (const auto& id : ds.unfinished) values.insert(bn_of(id));
  if (ds.planned)
    for (const auto& c : *ds.planned) values.insert(c.bn);
  values.erase("");
  if (values.size() <= 1) {
    ds.bn = values.empty() ? "" : *values.begin();
    return {std::move(ds)};
  }
  std::vector<Dataset> out;
  for (const auto& v : values) {
    Dataset d;
    d.name = ds.name + "-bn" + v;
    d.network = ds.network;
    d.layers = ds.layers;
    d.stages = ds.stages;
    d.bn = v;
    for (const auto& [id, run] : ds.runs)
      if (run.cell.bn.empty() || run.cell.bn == v) d.runs.emplace(id, run);
    for (const auto& id : ds.unfinished)
      if (const std::string b = bn_of(id); b.empty() || b == v) d.unfinished.push_back(id);
    if (ds.planned) {
      d.planned.emplace();
      for (const auto& c : *ds.planned)
        if (c.bn.empty() || c.bn == v) d.planned->push_back(c);
    }
    out.push_back(std::move(d));
  }
  return out;
}

Dataset read_results_dir(const fs::path& dir, const std::string& dataset_name, Diagnostics& diag,
                         bool include_hidden) {
  Dataset ds;
  ds.name = dataset_name;
  if (!folder_or_error(dir, "results directory", diag)) return ds;
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
  check_identities(ds, diag);
  check_similarities(ds, diag);
  take_network(ds, diag);
  return ds;
}

}  // namespace xfer
