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

// ---------------------------------------------------------------------------
// Writing (the trainer).

struct RunResult {
  std::string cell_id, preset, config_hash, backend = "cpu";
  int num_classes = 0, num_outputs = 0, ranks = 1;
  bool finished = false, tf32 = false;
  // "finished", or "diverged" at diverged_iteration because of diverged_what
  // ("loss nan", "test loss inf"); a diverged result has no statistic.
  std::string status = "finished";
  int64_t diverged_iteration = 0;
  std::string diverged_what;
  // What produced it (train/provenance.h): code, libraries, host, CPU, command.
  std::string provenance_json;
  int64_t iterations = 0;
  std::vector<CurvePoint> curve;
  double images_per_s = 0, wall_s = 0;
  // Data parallelism, per training step of this session: gradient bytes each
  // rank reduced, seconds inside allreduce, the share of it hidden behind
  // backward, and the whole step.
  double comm_bytes_per_step = 0, comm_s_per_step = 0, comm_hidden_fraction = 1, step_s = 0;
};

std::string result_to_json(const RunResult& r);
void write_result_file(const std::string& path, const RunResult& r);  // atomic

// The curve as compact JSON, as result.json holds it (kept inside checkpoints
// so a resumed run keeps it), and back; throws on JSON that is not a curve.
std::string curve_to_json(const std::vector<CurvePoint>& curve);
std::vector<CurvePoint> curve_from_json(const std::string& s);

// ---------------------------------------------------------------------------
// Reading the curve (analysis/): strict, since what it reads is pooled.

// How a run ended. Only finished runs are pooled into groups.
enum class RunStatus {
  Finished,
  Unfinished,  // stopped before its last iteration (or still running)
  Diverged,    // its loss became NaN or infinite: it has no number to pool
};

struct ResultRecord {
  std::string cell_id;
  RunStatus status = RunStatus::Finished;
  std::string divergence;         // Diverged: "at iteration 24 (loss nan)"
  std::vector<CurvePoint> curve;  // ascending iteration, one point per iteration
};

// Why a file gave no record: the file, and what is wrong with it.
struct ResultProblem {
  std::string file, what;
  std::string message() const { return file + ": " + what; }
};

// One result file. Another schema or version, invalid JSON, a missing or
// ill-typed field, a "status" that contradicts "finished", or a curve value
// that is not a finite number (null: how NaN is written) gives std::nullopt
// and sets `problem` (the first thing wrong). Files without "status" (older
// trainers) take it from "finished". A diverged run comes back with its status
// and `divergence`, and no curve. The statistic stored in the file is not
// used: it is recomputed from the curve (and a curve whose statistic is not
// finite is refused). The cell id is returned as written, not checked.
std::optional<ResultRecord> parse_result_file(const std::filesystem::path& file, ResultProblem& problem);

// ---------------------------------------------------------------------------
// Reading how a run ended (the grid): lenient, any JSON object is read.

enum class ResultState { Missing, Finished, Diverged, Unfinished };
struct ResultSummary {
  ResultState state = ResultState::Missing;  // Missing also for a file that does not read
  std::string reason;        // Diverged: "diverged at iteration N (loss nan)"
  std::string config_hash;   // the run identity; "" when absent
  int64_t iterations = -1;   // the iteration it ended at; -1 when absent
  std::optional<double> top10_mean_top1;  // the statistic it recorded
};
// Its "status" decides ("finished", "diverged"; anything else is not
// finished); files written before "status" existed have only "finished".
ResultSummary summarize_result(const nlohmann::json& result);
ResultSummary read_result_summary(const std::string& path);

// The JSON in `path`; a discarded value (is_discarded()), never an exception,
// where it is missing, unreadable (a folder) or not JSON.
nlohmann::json read_json_leniently(const std::string& path);

}  // namespace xfer
