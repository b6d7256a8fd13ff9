// export.cpp: a finished grid's results without the machine's paths (export.h).
#include "grid/export.h"

#include <fstream>
#include <sstream>

#include "core/check.h"
#include "grid/cell_folder.h"
#include "io/atomic_file.h"

namespace xfer {

namespace fs = std::filesystem;

namespace {

bool is_inside(const fs::path& p, const fs::path& dir) {
  const fs::path rel = p.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

std::string portable_path(const std::string& word, const fs::path& results, const fs::path& out) {
  if (word.empty() || word[0] != '/') return word;
  const fs::path p = fs::path(word).lexically_normal();
  if (p == results) return ".";
  if (is_inside(p, results)) return p.lexically_relative(results).string();
  return p.lexically_relative(out).string();
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  XFER_CHECK(in, p.string() << ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every string of a JSON value, rewritten.
void make_portable(nlohmann::json& j, const fs::path& results, const fs::path& out) {
  if (j.is_string()) j = portable_paths(j.get<std::string>(), results, out);
  if (j.is_structured())
    for (auto& v : j) make_portable(v, results, out);
}

void export_json(const fs::path& from, const fs::path& to, const fs::path& results, const fs::path& out) {
  nlohmann::json j = nlohmann::json::parse(read_text(from), nullptr, false);
  XFER_CHECK(!j.is_discarded(), from.string() << ": not valid JSON");
  make_portable(j, results, out);
  write_file_atomic(to.string(), j.dump(1) + "\n");
}

void export_text(const fs::path& from, const fs::path& to, const fs::path& results, const fs::path& out) {
  std::istringstream in(read_text(from));
  std::string line, text;
  while (std::getline(in, line)) text += portable_paths(line, results, out) + "\n";
  write_file_atomic(to.string(), text);
}

// A result exported as finished must be the run cell.json says was trained.
void check_identity(const CellFolder& folder) {
  const auto record = folder.record();
  const std::string cell_json = folder.dir() + "/cell.json";
  XFER_CHECK(record && record->contains("identity"), cell_json << ": missing or without an identity");
  const std::string recorded = record->value("identity", "");
  const std::string result = folder.result().config_hash;
  XFER_CHECK(recorded == result, folder.dir() << "/result.json: identity " << result << " is not " << recorded
                                              << ", the identity cell.json records for this cell");
}

}  // namespace

std::string portable_paths(const std::string& text, const fs::path& results, const fs::path& out) {
  const fs::path r = fs::absolute(results).lexically_normal(), o = fs::absolute(out).lexically_normal();
  std::string done, word;
  for (char c : text + ' ') {
    if (c == ' ' || c == '\t') {
      done += portable_path(word, r, o);
      word.clear();
      done += c;
    } else {
      word += c;
    }
  }
  done.pop_back();
  return done;
}

ExportSummary export_results(const Grid& grid, const fs::path& results, const fs::path& out) {
  ExportSummary summary;
  fs::create_directories(out);
  for (const auto& cell : grid.cells) {
    const CellFolder folder(results.string(), cell.id);
    if (!folder.finished()) {
      summary.not_finished.push_back(cell.id);
      continue;
    }
    check_identity(folder);
    const fs::path dir = out / cell.id;
    fs::create_directories(dir);
    for (const char* name : {"result.json", "cell.json"})
      export_json(fs::path(folder.dir()) / name, dir / name, results, out);
    export_text(fs::path(folder.dir()) / "config.ini", dir / "config.ini", results, out);
    // The cell's similarities (xfer_similarity --results), where computed: they
    // hold identities and values, no path; the analysis checks them against the
    // results beside them.
    const fs::path similarity = fs::path(folder.dir()) / "similarity.json";
    if (fs::exists(similarity)) export_json(similarity, dir / "similarity.json", results, out);
    ++summary.exported;
  }
  export_text(results / "grid.ini", out / "grid.ini", results, out);
  return summary;
}

}  // namespace xfer
