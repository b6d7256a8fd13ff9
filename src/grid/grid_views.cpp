// grid_views.cpp: making and checking the cells' views (grid_views.h).
#include "grid/grid_views.h"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <stdexcept>

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

std::vector<std::string> splits_to_make(const Grid& grid, const std::string& data) {
  std::vector<std::string> out;
  if (!fs::is_regular_file(fs::path(data) / "all" / "manifest.json")) return out;  // no store to view
  std::set<std::string> seen;
  for (const auto& gc : grid.cells) {
    const Cell& c = gc.cell;
    if (c.split == "all" && c.reduced_k == 0) continue;
    if (folder_exists(fs::path(data) / c.data_name())) continue;
    const std::string name = c.split == "all" ? c.data_name() : c.split;  // all-k<K>: its own split
    auto file = grid.config.split_files.find(name);
    const std::string def = file == grid.config.split_files.end() ? name : file->second;
    if (seen.insert(def).second) out.push_back(def);
  }
  return out;
}

void make_missing_views(const Grid& grid, const std::string& data, const std::string& make_views) {
  const std::vector<std::string> splits = splits_to_make(grid, data);
  if (splits.empty()) return;
  std::string cmd = quoted(make_views) + " --data " + quoted(data) + " --split";
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

std::string missing_data(const Grid& grid, const std::vector<std::string>& ids, const std::string& data) {
  for (const auto& id : ids) {
    const fs::path folder = fs::path(data) / grid.find(id)->cell.data_name();
    if (folder_exists(folder)) continue;
    const Cell& c = grid.find(id)->cell;
    const bool store = fs::is_regular_file(fs::path(data) / "all" / "manifest.json");
    const std::string split = c.split == "all" ? c.data_name() : c.split;
    std::string why = "cell " + id + " trains on " + folder.string();
    why += ", which has no view.json or manifest.json (";
    if (store && c.data_name() != "all")
      why += "make it: xfer_make_views --data " + data + " --split " + split + ")";
    else
      why += "prepare the data first: data_prep/README.md)";
    return why;
  }
  return "";
}

}  // namespace xfer
