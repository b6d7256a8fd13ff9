// grid_views.cpp: making and checking the cells' views (grid_views.h).
#include "grid/grid_views.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "data/view.h"

namespace fs = std::filesystem;

namespace xfer {

namespace {

bool folder_exists(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "view.json", ec) || fs::is_regular_file(dir / "manifest.json", ec);
}

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

namespace {

// The definition of a cell's split as xfer_make_views takes it: NAME=FILE
// for a [splits] line (the views are NAME's, whatever the file's name), else
// the built-in name (all-k<K> is its own split).
std::string definition_of(const Grid& grid, const Cell& c) {
  const std::string name = c.split == "all" ? c.data_name() : c.split;
  auto file = grid.config.split_files.find(name);
  return file == grid.config.split_files.end() ? name : name + "=" + file->second;
}

// Whether the cell's folder must be (re)made: missing; a view that no longer
// opens (its store changed); or a view of a [splits] file, which may have
// been edited (xfer_make_views keeps it when it is still current).
bool needs_making(const Grid& grid, const Cell& c, const std::string& data) {
  const fs::path folder = fs::path(data) / c.data_name();
  if (!folder_exists(folder)) return true;
  if (!is_view_folder(folder.string())) return false;  // a folder of its own shards
  if (grid.config.split_files.count(c.split == "all" ? c.data_name() : c.split)) return true;
  try {
    data_folder_identity(folder.string());
    return false;
  } catch (const std::exception&) {
    return true;
  }
}

}  // namespace

std::vector<std::string> splits_to_make(const Grid& grid, const std::string& data) {
  std::vector<std::string> out;
  if (!fs::is_regular_file(fs::path(data) / "all" / "manifest.json")) return out;  // no store to view
  std::set<std::string> seen;
  for (const auto& gc : grid.cells) {
    const Cell& c = gc.cell;
    if (c.split == "all" && c.reduced_k == 0) continue;
    if (!needs_making(grid, c, data)) continue;
    if (const std::string def = definition_of(grid, c); seen.insert(def).second) out.push_back(def);
  }
  return out;
}

void make_missing_views(const Grid& grid, const std::string& data, const std::string& make_views) {
  const std::vector<std::string> splits = splits_to_make(grid, data);
  if (splits.empty()) return;
  // Two grids starting on one root take turns at its lock.
  std::string cmd = quoted(make_views) + " --wait 600 --data " + quoted(data) + " --split";
  for (const auto& s : splits) {
    cmd += ' ';
    cmd += quoted(s);
  }
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::string names;
    for (const auto& s : splits) names += (names.empty() ? "" : ", ") + s;
    throw std::runtime_error("making the views of " + names + " under " + data + " failed (" +
                             make_views + " exited " +
                             std::to_string(WIFEXITED(rc) ? WEXITSTATUS(rc) : rc) + ")");
  }
}

std::string missing_data(const Grid& grid, const std::vector<std::string>& ids, const std::string& data,
                         const std::vector<std::string>& to_make) {
  for (const auto& id : ids) {
    const fs::path folder = fs::path(data) / grid.find(id)->cell.data_name();
    if (folder_exists(folder)) continue;
    const Cell& c = grid.find(id)->cell;
    const std::string def = definition_of(grid, c);
    if (std::find(to_make.begin(), to_make.end(), def) != to_make.end()) continue;
    std::string why = "cell " + id + " trains on " + folder.string();
    why += ", which has no view.json or manifest.json (";
    if (c.data_name() != "all" && fs::is_regular_file(fs::path(data) / "all" / "manifest.json"))
      why += "make it: xfer_make_views --data " + data + " --split " + def + ")";
    else
      why += "prepare the data first: data_prep/README.md)";
    return why;
  }
  return "";
}

}  // namespace xfer
