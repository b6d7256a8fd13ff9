// cell_folder.cpp: the files of one cell's folder (see cell_folder.h).
#include "grid/cell_folder.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/check.h"  // this_host
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace xfer {

namespace {

std::optional<nlohmann::json> read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  out << line << "\n";
}

// Each event of attempts.jsonl, in order; lines that do not read are skipped.
template <class F>
void for_each_event(const std::string& path, F&& f) {
  std::ifstream att(path);
  std::string line;
  while (std::getline(att, line)) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (!e.is_discarded() && e.is_object()) f(e);
  }
}

}  // namespace

std::string utc_now() {
  time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

CellFolder::CellFolder(const std::string& results, const std::string& id)
    : results_(results), id_(id), dir_((fs::path(results) / id).string()) {}

bool CellFolder::has_checkpoint() const { return fs::exists(checkpoint()); }

RunResult CellFolder::result() const { return read_result_summary(dir_ + "/" + kResultFileName); }

bool CellFolder::finished() const { return result().status == RunStatus::Finished; }

std::optional<Progress> CellFolder::progress() const { return read_progress(dir_ + "/" + kProgressFileName); }

std::optional<nlohmann::json> CellFolder::record() const { return read_json_file(dir_ + "/cell.json"); }

void CellFolder::write_record(const nlohmann::json& record) const {
  write_file_atomic(dir_ + "/cell.json", record.dump(2) + "\n");
}

AttemptLog CellFolder::attempts() const {
  AttemptLog log;
  for_each_event(dir_ + "/attempts.jsonl", [&log](const nlohmann::json& e) {
    if (e.value("event", "") == "start") {
      log.starts++;
      log.job = e.value("job", "");
      log.last_exit = nullptr;
    } else if (e.value("event", "") == "exit") {
      log.last_exit = e;
    }
  });
  return log;
}

int CellFolder::starts_in_job(const std::string& job) const {
  int n = 0;
  for_each_event(dir_ + "/attempts.jsonl", [&](const nlohmann::json& e) {
    if (e.value("event", "") == "start" && e.value("job", "") == job) ++n;
  });
  return n;
}

void CellFolder::append_attempt(const nlohmann::json& event) const {
  append_line(dir_ + "/attempts.jsonl", event.dump());
}

void CellFolder::log(const std::string& line) const { append_line(train_log(), utc_now() + " | " + line); }

std::optional<nlohmann::json> CellFolder::running() const {
  auto j = read_json_file(dir_ + "/running.json");
  if (j && !j->is_object()) return std::nullopt;
  return j;
}

void CellFolder::mark_running(const std::string& job) const {
  const nlohmann::json marker = {{"host", this_host()}, {"pid", static_cast<long>(getpid())},
                                 {"job", job}, {"since", utc_now()}};
  write_file_atomic(dir_ + "/running.json", marker.dump() + "\n");
}

void CellFolder::clear_running() const { fs::remove(dir_ + "/running.json"); }

std::string CellFolder::move_aside() const {
  std::string stamp = utc_now();  // 2026-01-02T03:04:05Z -> 20260102T030405Z
  stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == '-' || c == ':'; }),
              stamp.end());
  // Under a hidden folder, so nothing that reads <results>/*/result.json sees it twice.
  fs::create_directories(fs::path(results_) / ".stale");
  const std::string aside = (fs::path(results_) / ".stale" / (id_ + "-" + stamp)).string();
  fs::rename(dir_, aside);
  return aside;
}

}  // namespace xfer
