// cell_folder.h: one cell's folder, `<results>/<id>/`, as one type: where
// each of its files is, what they say and every write to them.
//
// Written by the trainer (xfer_train): checkpoint.h5, final.h5, config.ini,
// progress.json while it runs and, last and atomically, result.json (both
// read through result/). The trainer also locks its --out folder with .lock.
// Written by the grid runner, beside them:
//   cell.json       the cell's id, the trainer arguments, its run identity and
//                   its data's identity (cell_trainer.h); a finished cell is
//                   reused only while the identity matches
//   attempts.jsonl  one line per start and per exit of the trainer, and one
//                   "exit" without a start when the runner refused to start it
//                   (a missing data folder, too many attempts)
//   train.log       the trainer's output, each line prefixed with its UTC time,
//                   and the runner's own lines ("# xfer_grid: ...")
//   runner.log      the runner's own output when `xfer_grid run` runs the cell
//                   in a child process
//   running.json    host, pid and SLURM job of a live attempt (removed at its end)
//   .cell.lock      held (flock) by the runner training the cell, so no two
//                   runners train it at once; it names that runner's pid and host
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "result/progress.h"
#include "result/result_file.h"  // RunResult

namespace xfer {

// How the attempts so far ended: their number, the job of the last start, and
// the last "exit" event when it is the last word (no start after it).
struct AttemptLog {
  int starts = 0;
  std::string job;
  nlohmann::json last_exit;  // null when the last event is a start, or none
};

class CellFolder {
 public:
  CellFolder(const std::string& results, const std::string& id);

  const std::string& dir() const { return dir_; }
  const std::string& id() const { return id_; }
  std::string checkpoint() const { return dir_ + "/checkpoint.h5"; }
  std::string final_weights() const { return dir_ + "/final.h5"; }
  std::string train_log() const { return dir_ + "/train.log"; }
  std::string runner_log() const { return dir_ + "/runner.log"; }
  std::string lock_path() const { return dir_ + "/.cell.lock"; }
  bool has_checkpoint() const;

  // What the trainer left: result.json (summarize_result()), progress.json.
  RunResult result() const;
  bool finished() const;  // result.json says finished
  std::optional<Progress> progress() const;

  // cell.json: nullopt when missing or not JSON.
  std::optional<nlohmann::json> record() const;
  void write_record(const nlohmann::json& record) const;  // atomic

  AttemptLog attempts() const;
  int starts_in_job(const std::string& job) const;  // a requeued task keeps its job id
  void append_attempt(const nlohmann::json& event) const;
  void log(const std::string& line) const;  // train.log, stamped with the UTC time

  // running.json: set while an attempt lives; nullopt when there is none.
  std::optional<nlohmann::json> running() const;
  void mark_running(const std::string& job) const;
  void clear_running() const;

  // Moves the folder to <results>/.stale/<id>-<UTC stamp>; returns where.
  std::string move_aside() const;

 private:
  std::string results_, id_, dir_;
};

// Now as "2026-01-02T03:04:05Z", the time stamp of every record here.
std::string utc_now();

}  // namespace xfer
