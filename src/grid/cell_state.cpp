// cell_state.cpp: a cell's state from its folder and the queue (see cell_state.h).
#include "grid/cell_state.h"

#include <signal.h>

#include <cerrno>
#include <optional>

#include "core/check.h"  // this_host
#include "core/exit_codes.h"
#include "grid/cell_folder.h"

namespace xfer {

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

namespace {

// How far the run got: where its result.json says it ended when that settles
// the cell, else where progress.json last put it; the ETA only while running.
void read_iteration(const CellFolder& folder, bool settled, bool running, CellState& st) {
  const std::optional<Progress> p = folder.progress();
  if (settled && st.result.iterations >= 0)
    st.iteration = st.result.iterations;
  else if (p)
    st.iteration = p->iteration;
  if (running && p) st.eta_s = seconds_left(*p, epoch_seconds());
}

bool pid_alive(long pid) { return pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

// A result.json that settles the cell: finished (done or stale) or diverged
// (failed or stale). False when there is none, or it settles nothing.
bool settled_by_result(const CellFolder& folder, bool hash_ok, const std::string& stale_why,
                       CellState& st) {
  st.result = folder.result();
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
bool live_attempt(const CellFolder& folder, const QueueInfo* queue, std::string& job) {
  const std::optional<nlohmann::json> marker = folder.running();
  if (!marker) return false;
  const nlohmann::json& run = *marker;
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
                       DataIdentities& identities, const QueueInfo* queue) {
  CellState st;
  const CellFolder folder(paths.results, cell.id);
  const std::optional<nlohmann::json> record = folder.record();
  const nlohmann::json cj = record ? *record : nlohmann::json::object();
  const bool have_cell_json = record.has_value();
  const std::string recorded = have_cell_json ? cj.value("identity", "") : "";
  const std::string expected =
      cell_identity(grid, cell, paths, identities, have_cell_json ? cj.value("data_identity", "") : "").run;
  bool hash_ok = have_cell_json && recorded == expected;
  std::string stale_why = have_cell_json ? "with another configuration (identity " +
                                               (recorded.empty() ? "none" : recorded) + ", now " +
                                               expected + ")"
                                         : "outside the grid (no cell.json)";
  const AttemptLog attempts = folder.attempts();
  st.attempts = attempts.starts;
  st.job = attempts.job;

  if (settled_by_result(folder, hash_ok, stale_why, st)) {
    read_iteration(folder, true, false, st);
    return st;
  }
  if (live_attempt(folder, queue, st.job)) {
    st.status = CellStatus::Running;
  } else if (queue) {
    queue_state(cell, *queue, st);
  }
  read_iteration(folder, false, st.status == CellStatus::Running, st);
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
  if (folder.has_checkpoint()) {
    st.status = hash_ok ? CellStatus::Partial : CellStatus::Stale;
    if (!hash_ok) st.reason = "checkpoint made with another configuration";
  }
  return st;
}

}  // namespace xfer
