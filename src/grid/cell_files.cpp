// cell_files.cpp: trainer arguments, the grid hash and the state of a cell folder.
#include "grid/cell_files.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "config/run_identity.h"
#include "core/check.h"
#include "core/exit_codes.h"
#include "data/view.h"
#include "result/progress.h"

namespace fs = std::filesystem;

namespace xfer {

std::string cell_dir(const std::string& results, const std::string& id) {
  return (fs::path(results) / id).string();
}

namespace {

std::string base_config_hash(const GridCell& cell, const std::string& results) {
  return read_result(cell_dir(results, cell.cell.base_of_source().id())).config_hash;
}

// The trainer's configuration of `cell`: what the grid sets, the rest the
// trainer's defaults.
TrainConfig cell_train_config(const Grid& grid, const GridCell& cell, const RunPaths& paths, int threads) {
  const GridConfig& cfg = grid.config;
  TrainConfig t;
  t.network = cfg.network;
  t.cell_id = cell.id;
  t.fc8_outputs = cfg.fc8_outputs;
  t.solver = cell.solver;  // the grid's own keys (test_from, threads) left behind
  t.seed = static_cast<uint64_t>(cell.cell.seed);
  t.backend = cfg.backend;
  t.data = (fs::path(paths.data) / cell.cell.data_name()).string();
  t.out = cell_dir(paths.results, cell.id);
  t.threads = threads;
  if (cell.cell.kind == CellKind::Transfer) {
    t.transfer_n = cell.cell.n;
    t.transfer_mode = cell.cell.mode;
    t.base = cell_dir(paths.results, cell.cell.base_of_source().id()) + "/final.h5";
  } else if (cell.cell.kind == CellKind::Random) {
    t.transfer_n = cell.cell.n;
    t.transfer_mode = TransferMode::Random;
  }
  return t;
}

// The trainer options the grid sets for `cell`, in the order it passes them:
// what defines the training first, then where it runs and its paths. The
// solver options the grid has no key for (momentum, weight decay) are left
// to the trainer (its preset or --config file).
std::vector<std::string> cell_option_names(const Grid& grid, const GridCell& cell) {
  std::vector<std::string> names = {"network", "cell-id"};
  if (cell.cell.kind != CellKind::Base) names.insert(names.end(), {"transfer-n", "transfer-mode"});
  if (grid.config.fc8_outputs > 0) names.push_back("fc8-outputs");
  names.insert(names.end(), {"max-iter", "base-lr", "lr-step", "gamma", "test-interval", "test-start",
                             "snapshot-interval", "batch", "seed", "backend", "data", "out"});
  if (cell.cell.kind == CellKind::Transfer) names.push_back("base");
  return names;
}

// How far the run got: where its result.json says it ended when that settles
// the cell, else where progress.json last put it; the ETA only while running.
void read_iteration(const std::string& dir, bool settled, bool running, CellState& st) {
  const std::optional<Progress> p = read_progress(dir + "/" + kProgressFileName);
  if (settled && st.result.iterations >= 0)
    st.iteration = st.result.iterations;
  else if (p)
    st.iteration = p->iteration;
  if (running && p) st.eta_s = seconds_left(*p, epoch_seconds());
}

bool pid_alive(long pid) { return pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

}  // namespace

std::vector<std::string> trainer_args(const Grid& grid, const GridCell& cell, const RunPaths& paths,
                                      int threads) {
  const TrainConfig t = cell_train_config(grid, cell, paths, threads);
  std::vector<std::string> out = train_args(t, cell_option_names(grid, cell));
  if (!grid.config.trainer_config.empty()) out.insert(out.end(), {"--config", grid.config.trainer_config});
  if (threads > 0) {
    const std::vector<std::string> th = train_args(t, {"threads"});
    out.insert(out.end(), th.begin(), th.end());
  }
  return out;
}

namespace {

// A file's version: it is replaced by rename, so a new one has another inode.
std::optional<std::string> file_stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return std::to_string(st.st_ino) + "/" + std::to_string(st.st_size) + "/" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

// data_identity_of(), read once per version of a folder's manifest (for a
// view: of its view.json and its store's manifest): status, plan and the
// runner ask for every cell, and many cells share one folder.
std::string data_identity_once(const TrainConfig& cfg) {
  if (cfg.data.empty()) return data_identity_of(cfg);
  const fs::path dir(cfg.data);
  std::string stamp;
  if (auto v = file_stamp((dir / "view.json").string())) {
    const auto store = file_stamp((fs::path(store_folder(cfg.data, read_view(cfg.data))) / "manifest.json").string());
    if (!store) return data_identity_of(cfg);  // throws, naming what is missing
    stamp = *v + "+" + *store;
  } else if (auto m = file_stamp((dir / "manifest.json").string())) {
    stamp = *m;
  } else {
    return data_identity_of(cfg);  // throws, naming what is missing
  }
  static std::map<std::string, std::pair<std::string, std::string>> seen;  // folder -> (stamp, identity)
  auto it = seen.find(cfg.data);
  if (it == seen.end() || it->second.first != stamp)
    it = seen.insert_or_assign(cfg.data, std::make_pair(stamp, data_identity_of(cfg))).first;
  return it->second.second;
}

}  // namespace

CellIdentity cell_identity(const Grid& grid, const GridCell& cell, const RunPaths& paths,
                           const std::string& recorded_data) {
  std::vector<std::string> args = trainer_args(grid, cell, paths, 0);
  args.insert(args.begin(), "xfer_train");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  const std::optional<TrainConfig> cfg = parse_train_config(int(argv.size()), argv.data());
  XFER_CHECK(cfg, "the trainer arguments of " << cell.id << " ask for help, not a run");
  CellIdentity id;
  try {
    id.data = data_identity_once(*cfg);
  } catch (const std::exception&) {
    // Data on a scratch file system that is not mounted now has not changed:
    // keep what was recorded rather than call finished cells stale.
    id.data = recorded_data.empty() ? "unreadable" : recorded_data;
  }
  const std::string base = cell.cell.kind == CellKind::Transfer ? base_config_hash(cell, paths.results) : "";
  id.run = run_identity(*cfg, id.data, base);
  return id;
}

const char* to_string(CellStatus s) {
  switch (s) {
    case CellStatus::NotStarted: return "not-started";
    case CellStatus::Partial: return "partial";
    case CellStatus::Queued: return "queued";
    case CellStatus::Running: return "running";
    case CellStatus::Done: return "done";
    case CellStatus::Failed: return "failed";
    case CellStatus::Stale: return "stale";
  }
  return "?";
}

QueueInfo query_queue(const std::string& results) {
  QueueInfo q;
  std::ifstream sub(results + "/.slurm/submitted.tsv");
  std::string line;
  while (std::getline(sub, line)) {
    std::istringstream ls(line);
    std::string job, id;
    if (ls >> job >> id) q.job_of_cell[id] = job;
  }
  if (std::system("command -v squeue >/dev/null 2>&1") != 0) return q;
  // Only this user's jobs: on a shared cluster the whole queue is large, and
  // the grid's jobs are always the submitting user's.
  const std::string cmd =
      "squeue -h -r --user=" + std::to_string(getuid()) + " -o '%i|%T|%r' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return q;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) {
    std::string l(buf);
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
    size_t a = l.find('|'), b = l.find('|', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    q.jobs[l.substr(0, a)] = {l.substr(a + 1, b - a - 1), l.substr(b + 1)};
  }
  q.available = pclose(p) == 0;
  return q;
}

namespace {

// How the attempts so far ended: their number, the job of the last start, and
// the last "exit" event when it is the last word (no start after it).
struct AttemptLog {
  int starts = 0;
  std::string job;
  nlohmann::json last_exit;  // null when the last event is a start, or none
};

AttemptLog read_attempts(const std::string& dir) {
  AttemptLog log;
  std::ifstream att(dir + "/attempts.jsonl");
  std::string line;
  while (std::getline(att, line)) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded() || !e.is_object()) continue;
    if (e.value("event", "") == "start") {
      log.starts++;
      log.job = e.value("job", "");
      log.last_exit = nullptr;
    } else if (e.value("event", "") == "exit") {
      log.last_exit = e;
    }
  }
  return log;
}

// A result.json that settles the cell: finished (done or stale) or diverged
// (failed or stale). False when there is none, or it settles nothing.
bool settled_by_result(const std::string& dir, bool hash_ok, const std::string& stale_why,
                       CellState& st) {
  st.result = read_result(dir);
  const RunResult& rs = st.result;
  if (rs.status == RunStatus::Finished) {
    st.status = hash_ok ? CellStatus::Done : CellStatus::Stale;
    if (!hash_ok) st.reason = "finished " + stale_why;
    return true;
  }
  if (rs.status == RunStatus::Diverged) {
    st.status = hash_ok ? CellStatus::Failed : CellStatus::Stale;
    st.reason = hash_ok ? diverged_reason(rs) : diverged_reason(rs) + ", " + stale_why;
    st.diverged = hash_ok;
    return true;
  }
  return false;
}

// Whether the attempt in running.json is alive: by squeue for a SLURM job,
// by its pid on this host, else (another host, no squeue) assumed so.
bool live_attempt(const std::string& dir, const QueueInfo* queue, std::string& job) {
  nlohmann::json run;
  if (!read_json(dir + "/running.json", run) || !run.is_object()) return false;
  std::string j = run.value("job", "");
  bool running;
  if (!j.empty() && queue && queue->available) {
    auto it = queue->jobs.find(j);
    running = it != queue->jobs.end() && it->second.first == "RUNNING";
  } else if (run.value("host", "") == this_host()) {
    running = pid_alive(run.value("pid", 0L));
  } else {
    running = true;
  }
  if (running) job = j;
  return running;
}

// The cell's latest submission as squeue sees it: sets Running or Queued.
void queue_state(const GridCell& cell, const QueueInfo& queue, CellState& st) {
  auto jc = queue.job_of_cell.find(cell.id);
  if (jc == queue.job_of_cell.end()) return;
  auto it = queue.jobs.find(jc->second);
  if (it == queue.jobs.end()) return;
  const std::string& state = it->second.first;
  st.job = jc->second;
  if (state == "RUNNING") {
    st.status = CellStatus::Running;
  } else if (state == "PENDING" || state == "REQUEUED" || state == "CONFIGURING" ||
             state == "REQUEUE_HOLD") {
    st.status = CellStatus::Queued;
    st.reason = it->second.second;
  }
}

}  // namespace

CellState inspect_cell(const Grid& grid, const GridCell& cell, const RunPaths& paths,
                       const QueueInfo* queue) {
  const std::string& results = paths.results;
  CellState st;
  const std::string dir = cell_dir(results, cell.id);
  nlohmann::json cj;
  bool have_cell_json = read_json(dir + "/cell.json", cj);
  const std::string recorded = have_cell_json ? cj.value("identity", "") : "";
  const std::string expected =
      cell_identity(grid, cell, paths, have_cell_json ? cj.value("data_identity", "") : "").run;
  bool hash_ok = have_cell_json && recorded == expected;
  std::string stale_why = have_cell_json ? "with another configuration (identity " +
                                               (recorded.empty() ? "none" : recorded) + ", now " +
                                               expected + ")"
                                         : "outside the grid (no cell.json)";
  AttemptLog attempts = read_attempts(dir);
  st.attempts = attempts.starts;
  st.job = attempts.job;

  if (settled_by_result(dir, hash_ok, stale_why, st)) {
    read_iteration(dir, true, false, st);
    return st;
  }
  if (live_attempt(dir, queue, st.job)) {
    st.status = CellStatus::Running;
  } else if (queue) {
    queue_state(cell, *queue, st);
  }
  read_iteration(dir, false, st.status == CellStatus::Running, st);
  if (st.status != CellStatus::NotStarted) return st;

  const nlohmann::json& last = attempts.last_exit;
  if (last.is_object()) {
    int code = last.value("code", 0);
    if (code != kExitDone && code != kExitStopped) {
      st.status = CellStatus::Failed;
      st.reason = last.value("reason", "");
      if (st.reason.empty()) st.reason = "exit " + std::to_string(code);
      return st;
    }
  }
  if (fs::exists(dir + "/checkpoint.h5")) {
    st.status = hash_ok ? CellStatus::Partial : CellStatus::Stale;
    if (!hash_ok) st.reason = "checkpoint made with another configuration";
  }
  return st;
}

RunResult read_result(const std::string& dir) { return read_result_summary(dir + "/" + kResultFileName); }

bool result_finished(const std::string& dir) { return read_result(dir).status == RunStatus::Finished; }

std::string cell_lock_path(const std::string& dir) { return dir + "/.cell.lock"; }

bool read_json(const std::string& path, nlohmann::json& out) {
  std::ifstream in(path);
  if (!in) return false;
  out = nlohmann::json::parse(in, nullptr, false);
  return !out.is_discarded();
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  out << line << "\n";
}

std::string utc_now() {
  time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

double now_seconds() { return epoch_seconds(); }

}  // namespace xfer
