// runner.cpp: one cell's attempt: the checks before it, the cell's lock, the
// trainer's run and the bookkeeping of how it ended. Its command line is made
// in cell_command.cpp; starting, teeing and stopping processes is in
// process.cpp, the whole-grid scheduler in local_runner.cpp.
#include "grid/runner.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <thread>

#include "core/check.h"  // this_host
#include "grid/cell_folder.h"
#include "grid/cell_state.h"
#include "grid/process.h"
#include "io/file_lock.h"

namespace fs = std::filesystem;

namespace xfer {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : " ") + a;
  return s;
}

}  // namespace

std::string trainer_problem(const std::string& trainer) {
  if (access(trainer.c_str(), X_OK) == 0) return "";
  return "trainer '" + trainer + "' is not an executable (pass --trainer)";
}

namespace {

// How an attempt ended: an exit code (core/exit_codes.h) and, unless done, one line saying why.
struct Outcome {
  int code = kExitDone;
  std::string reason;
};

// ---------------------------------------------------------------------------
// Before the trainer starts.

// A refusal about the cell itself (its data, its attempts), recorded as an exit
// without a start: `status` then shows the cell failed, with the reason.
Outcome refuse(const CellFolder& folder, int code, const std::string& reason) {
  folder.append_attempt({{"event", "exit"}, {"time", utc_now()}, {"code", code},
                         {"reason", reason}, {"started", false}});
  folder.log("# xfer_grid: not started: " + reason);
  return {code, reason};
}

// Takes the cell's lock into `lock`; when another runner holds it, says who.
std::optional<Outcome> lock_cell(const CellFolder& folder, std::optional<FileLock>& lock) {
  fs::create_directories(folder.dir());
  std::string holder;
  lock = FileLock::try_acquire(folder.lock_path(), &holder);
  if (!lock) return Outcome{kExitBusy, "being trained by " + holder + "; skipped"};
  return std::nullopt;
}

// Everything that may end the attempt before the trainer starts; nullopt: go
// ahead. The cell's lock is taken before its folder is read, so what this sees
// stays true while the lock is held.
std::optional<Outcome> check_before(const Grid& grid, const GridCell& cell, const RunOptions& opt,
                                    std::optional<FileLock>& lock, CellState& st) {
  const std::string& id = cell.id;
  const CellFolder folder(opt.paths.results, id);
  if (std::string p = trainer_problem(opt.paths.trainer); !p.empty()) return Outcome{kExitUsage, p};
  if (cell.cell.needs_base()) {
    const CellFolder base(opt.paths.results, cell.cell.base_of_source().id());
    if (!base.finished() || !fs::exists(base.final_weights()))
      return Outcome{kExitError, "its base " + base.id() + " has not finished"};
  }
  if (auto busy = lock_cell(folder, lock)) return busy;
  DataIdentities identities;
  st = inspect_cell(grid, cell, opt.paths, identities);
  if (st.status == CellStatus::Done) {
    std::cout << "xfer_grid: " << id << ": already done\n";
    return Outcome{};
  }
  if (st.status == CellStatus::Stale) {
    if (!opt.rerun_stale)
      return Outcome{kExitError, "stale: " + st.reason +
                                     "; move the folder away or pass --rerun-stale to start it again"};
    std::string aside = folder.move_aside();
    std::cout << "xfer_grid: " << id << ": stale folder moved to " << aside << "\n";
    st = CellState{};
    lock.reset();  // it went with the folder: lock the new one
    if (auto busy = lock_cell(folder, lock)) return busy;
  }
  if (st.diverged)
    return Outcome{kExitDiverged, st.reason + "; not retried (change the solver settings, or move " +
                                      folder.dir() + " away)"};
  const std::string data = (fs::path(opt.paths.data) / cell.cell.data_name()).string();
  if (!fs::is_directory(data))
    return refuse(folder, kExitUsage, "data folder '" + data + "' does not exist (prepare the data first)");
  const int max_attempts = opt.max_attempts > 0 ? opt.max_attempts : grid.config.slurm.max_requeues + 1;
  if (int n = opt.job.empty() ? 0 : folder.starts_in_job(opt.job); n >= max_attempts)
    return refuse(folder, kExitError, "gave up after " + std::to_string(n) + " attempts in job " + opt.job);
  if (stop_requested()) return Outcome{kExitStopped, "stopped before it started"};
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// The attempt.

// cell.json, the start event, running.json and a line in train.log; returns
// cell.json's content, completed when the cell finishes.
nlohmann::json record_start(const Grid& grid, const GridCell& cell, const RunOptions& opt,
                            const std::vector<std::string>& cmd, const CellState& st) {
  const CellFolder folder(opt.paths.results, cell.id);
  DataIdentities identities;
  const CellIdentity identity = cell_identity(grid, cell, opt.paths, identities);
  nlohmann::json cj = {{"id", cell.id},
                       {"grid", grid.config.name},
                       {"identity", identity.run},
                       {"data_identity", identity.data},
                       {"command", cmd},
                       {"written", utc_now()}};
  folder.write_record(cj);
  const bool resume = folder.has_checkpoint();
  const int attempt = st.attempts + 1;
  folder.append_attempt({{"event", "start"}, {"time", utc_now()},   {"attempt", attempt},
                         {"job", opt.job},   {"host", this_host()}, {"resume", resume}});
  folder.mark_running(opt.job);
  folder.log("# xfer_grid: attempt " + std::to_string(attempt) + " start job=" + (opt.job.empty() ? "-" : opt.job) +
             (resume ? " resume=checkpoint.h5" : " resume=no"));
  std::cout << "xfer_grid: " << cell.id << ": attempt " << attempt
            << (resume ? ", resuming from checkpoint.h5" : ", from the start") << "\n"
            << "xfer_grid: " << join(cmd) << "\n"
            << std::flush;
  return cj;
}

// How the trainer's run ended, from result.json first (it alone knows a
// divergence for sure), then its exit.
Outcome judge(const CellFolder& folder, const ProcessEnd& end, const std::deque<std::string>& tail) {
  const RunResult rs = folder.result();
  if (rs.status == RunStatus::Diverged) return {kExitDiverged, diverged_reason(rs)};
  if (end.code == kExitDiverged) {
    for (auto it = tail.rbegin(); it != tail.rend(); ++it)
      if (it->find("diverged") != std::string::npos) return {kExitDiverged, *it};
    return {kExitDiverged, "diverged (the trainer exited " + std::to_string(kExitDiverged) +
                               " and wrote no result.json)"};
  }
  if (end.code == 0)
    return rs.status == RunStatus::Finished
               ? Outcome{}
               : Outcome{kExitError, "the trainer exited 0 without a finished result.json"};
  if (end.code == kExitStopped) return {kExitStopped, "stopped after a checkpoint"};
  if (end.signal) {
    // Killed by the stop signal itself before it could checkpoint: resumable.
    if (stop_requested()) return {kExitStopped, describe_kill(end.signal) + " while stopping"};
    return {kExitError, describe_kill(end.signal)};
  }
  return {end.code == kExitUsage ? kExitUsage : kExitError,
          "trainer exit " + std::to_string(end.code) + ": " + failure_reason(tail)};
}

Outcome attempt(const Grid& grid, const GridCell& cell, const RunOptions& opt, const CellState& st) {
  const CellFolder folder(opt.paths.results, cell.id);
  const std::vector<std::string> cmd = cell_command(grid, cell, opt);
  nlohmann::json cj = record_start(grid, cell, opt, cmd, st);
  std::deque<std::string> tail;
  const double t0 = epoch_seconds();
  const ProcessEnd end = run_teed(cmd, folder.train_log(), opt.echo, utc_now, tail);
  const double secs = epoch_seconds() - t0;
  const Outcome o = judge(folder, end, tail);

  nlohmann::json ex = {{"event", "exit"},   {"time", utc_now()},   {"code", o.code},
                       {"trainer_code", end.code}, {"seconds", secs}, {"reason", o.reason}};
  if (end.signal) ex["signal"] = signal_name(end.signal);
  folder.append_attempt(ex);
  folder.clear_running();
  if (o.code == kExitDone) {
    cj["finished"] = utc_now();
    folder.write_record(cj);
    std::cout << "xfer_grid: " << cell.id << ": done in " << static_cast<long>(secs) << " s\n";
  }
  return o;
}

}  // namespace

int run_cell(const Grid& grid, const GridCell& cell, const RunOptions& opt, std::string* message) {
  if (opt.dry_run) {
    std::cout << join(cell_command(grid, cell, opt)) << "\n";
    return kExitDone;
  }
  install_stop_forwarding();
  // A closed stdout (`xfer_grid run-cell ... | head`) must not kill the runner
  // and orphan the trainer: writes then fail quietly, train.log keeps everything.
  signal(SIGPIPE, SIG_IGN);
  std::optional<FileLock> lock;  // held until the attempt is recorded
  CellState st;
  std::optional<Outcome> early = check_before(grid, cell, opt, lock, st);
  const Outcome o = early ? *early : attempt(grid, cell, opt, st);
  if (o.code == kExitStopped) {
    std::cout << "xfer_grid: " << cell.id << ": " << o.reason << "; run again to resume\n";
  } else if (o.code != kExitDone) {
    if (message)
      *message = o.reason;
    else
      std::cerr << "xfer_grid: " << cell.id << ": " << o.reason << "\n";
  }
  std::cout << std::flush;
  return o.code;
}

}  // namespace xfer
