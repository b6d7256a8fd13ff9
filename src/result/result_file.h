// result_file.h: result.json, the file a run leaves in its output folder
// (schema "xfer.result", version 1): the validation curve, the paper's
// statistic, final values, speed and provenance. The trainer writes it; the
// grid reads how the run ended, analysis/ reads the curve. README.md
// documents every field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "result/curve.h"

namespace xfer {

inline constexpr const char* kResultFileName = "result.json";
inline constexpr const char* kResultSchema = "xfer.result";
inline constexpr int kResultSchemaVersion = 1;

// How a run ended. Only finished runs are pooled into groups.
enum class RunStatus {
  Finished,
  Unfinished,  // stopped before its last iteration (or still running)
  Diverged,    // its loss became NaN or infinite: it has no number to pool
  Missing,     // no result.json, or one that does not read (the lenient reader's answer)
};

// result.json as one value: what the trainer writes and what both readers
// return (each fills the fields its reader says). Default-made it says
// nothing yet: status Missing, iterations -1.
struct RunResult {
  std::string cell_id, preset, config_hash, backend = "cpu";
  int num_classes = 0, num_outputs = 0, ranks = 1;
  bool tf32 = false;
  // Written as "status" ("finished", "diverged") and "finished"; a diverged
  // result has no statistic. Where and why it diverged: "diverged": {"iteration",
  // "what"} ("loss nan", "test loss inf"); -1 and "" where not recorded.
  RunStatus status = RunStatus::Missing;
  int64_t diverged_iteration = -1;
  std::string diverged_what;
  // What produced it (train/provenance.h): code, libraries, host, CPU, command.
  std::string provenance_json;
  int64_t iterations = -1;  // the iteration it ended at; -1 when absent
  std::vector<CurvePoint> curve;  // read back: ascending iteration, one point per iteration
  // The last weights tested once on the whole validation set ("full_test"):
  // the reference the paper's statistic (the mean of the 10 best tests, each
  // on a subset) is measured against. Absent in older files and diverged runs.
  std::optional<CurvePoint> full_test;
  // The paper's statistic as the file records it (read only: the writer
  // computes it from the curve, and the strict reader recomputes it).
  std::optional<double> top10_mean_top1;
  double images_per_s = 0, wall_s = 0;
  // Data parallelism, per training step of this session: gradient bytes each
  // rank reduced, seconds inside allreduce, the share of it hidden behind
  // backward, and the whole step.
  double comm_bytes_per_step = 0, comm_s_per_step = 0, comm_hidden_fraction = 1, step_s = 0;
};

// "diverged at iteration 24 (loss nan)": as much of it as was recorded
// ("diverged (no details recorded)" when nothing was).
std::string diverged_reason(const RunResult& r);

// ---------------------------------------------------------------------------
// Writing (the trainer).

std::string result_to_json(const RunResult& r);
void write_result_file(const std::string& path, const RunResult& r);  // atomic

// The curve as compact JSON, as result.json holds it (kept inside checkpoints
// so a resumed run keeps it), and back; throws on JSON that is not a curve.
std::string curve_to_json(const std::vector<CurvePoint>& curve);
std::vector<CurvePoint> curve_from_json(const std::string& s);

// ---------------------------------------------------------------------------
// Reading the curve (analysis/): strict, since what it reads is pooled.

// Why a file gave no result: the file, and what is wrong with it.
struct ResultProblem {
  std::string file, what;
  std::string message() const { return file + ": " + what; }
};

// One result file: its cell id, run identity (config_hash, "" when absent),
// status, divergence, curve and full test. Another schema
// or version, invalid JSON, a missing or ill-typed field, a "status" that
// contradicts "finished", a curve value that is not a finite number (null:
// how NaN is written) or out of its range (top1 or top5 outside [0, 1], a loss
// below 0), or an iteration that is negative, repeats or falls gives std::nullopt and sets `problem` (the first thing
// wrong). Files without "status" (older trainers) take it from "finished". A
// diverged run comes back with its status and divergence, and no curve. The
// statistic stored in the file is not used: it is recomputed from the curve
// (and a curve whose statistic is not finite is refused). The cell id is
// returned as written, not checked.
std::optional<RunResult> parse_result_file(const std::filesystem::path& file, ResultProblem& problem);

// ---------------------------------------------------------------------------
// Reading how a run ended (the grid): lenient, any JSON object is read.

// Its status, divergence, config_hash ("" when absent), iterations (-1 when
// absent) and recorded statistic. Its "status" decides ("finished",
// "diverged"; anything else is not finished); files written before "status"
// existed have only "finished". Not an object: Missing.
RunResult summarize_result(const nlohmann::json& result);
RunResult read_result_summary(const std::string& path);

// The JSON in `path`; a discarded value (is_discarded()), never an exception,
// where it is missing, unreadable (a folder) or not JSON.
nlohmann::json read_json_leniently(const std::string& path);

}  // namespace xfer
