// slurm.h: the one place that talks to SLURM: squeue (what is queued or
// running), sacct (how a job ended), sbatch (submitting an array), scontrol
// (a task requeueing itself), srun's MPI plugins, and the record of what a
// submission sent, <results>/.slurm/submitted.tsv ("<array job>_<task>\t<cell id>").
// Where SLURM is not installed each query answers "nothing known", quietly.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace xfer {

// Jobs known to squeue: "<array job>_<task>" -> {state, reason}.
struct QueueInfo {
  bool available = false;  // squeue answered
  std::map<std::string, std::pair<std::string, std::string>> jobs;
  // The latest job submitted for each cell id (from <results>/.slurm/submitted.tsv).
  std::map<std::string, std::string> job_of_cell;
};

// submitted.tsv of `results` and this user's jobs in squeue.
QueueInfo query_queue(const std::string& results);

// The end states sacct reports for `jobs` ("123_4", "123"), for this user's
// jobs only, keeping only those that tell something the runner's own record
// does not (not COMPLETED, not FAILED, which is a non-zero exit). Empty, and
// silent, when sacct is not installed, accounting is off, or it fails.
std::map<std::string, std::string> ended_job_states(const std::vector<std::string>& jobs);

// Parses `sacct -n -P -o JobID,State` output ("123_4|CANCELLED by 0") into
// job -> the noteworthy first word of its state.
std::map<std::string, std::string> parse_sacct_states(const std::string& text);

// Runs `sbatch --parsable ARGS...` and returns the job id it printed; throws
// with sbatch's own words when it fails.
std::string sbatch(const std::vector<std::string>& args);

// `scontrol requeue JOB`; false (its output in `why`) when it fails.
bool requeue(const std::string& job, std::string& why);

// Whether `program` is on PATH.
bool on_path(const std::string& program);

// Whether this SLURM's srun lists `plugin` in `srun --mpi=list`.
bool srun_has_mpi(const std::string& plugin);

// Appends "<job>\t<id>" to <results>/.slurm/submitted.tsv.
void record_submitted(const std::string& results, const std::string& job, const std::string& id);

}  // namespace xfer
