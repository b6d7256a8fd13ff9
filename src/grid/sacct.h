// sacct.h: how SLURM says a cell's job ended (OUT_OF_MEMORY, TIMEOUT,
// NODE_FAIL, CANCELLED, ...), from its accounting, for `status`: the cases in
// which the runner itself may have had no chance to record why.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace xfer {

// The end states sacct reports for `jobs` ("123_4", "123"), for this user's
// jobs only, keeping only those that tell something the runner's own record
// does not (not COMPLETED, not FAILED, which is a non-zero exit). Empty, and
// silent, when sacct is not installed, accounting is off, or it fails.
std::map<std::string, std::string> ended_job_states(const std::vector<std::string>& jobs);

// Parses `sacct -n -P -o JobID,State` output ("123_4|CANCELLED by 0") into
// job -> the noteworthy first word of its state.
std::map<std::string, std::string> parse_sacct_states(const std::string& text);

}  // namespace xfer
