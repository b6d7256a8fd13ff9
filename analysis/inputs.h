// inputs.h: the command-line inputs both analysis binaries share (our results
// directory, the paper's logs) and loading them into data sets.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <string>
#include <vector>

#include "analysis/diagnostics.h"
#include "analysis/run.h"

namespace xfer {

struct Inputs {
  std::string results;     // our results directory; empty: none
  std::string caffe_logs;  // a release-style folder of Caffe logs; empty: none
  std::string statistic = "top10";
  bool compare = false;    // ours and the paper's side by side
  bool include_hidden = false;  // also read dot folders (.stale/) under `results`
};

// Adds the common options (--help, --version, --config) and --results,
// --include-hidden, --caffe-logs, --statistic, --compare to `desc`, bound to `in`.
void add_input_options(boost::program_options::options_description& desc, Inputs& in);

// Checks what the options alone can: at least one input, --compare with both,
// a known statistic. Returns an empty string or what to change.
std::string validate(const Inputs& in);

// Reads the inputs: "ours" first, then "paper". Missing cells of the paper's
// grid in the logs (and, with --compare, cells the paper has that ours lacks)
// are named in `diag`. So are errors (two files for one cell): the binaries
// check error_count() and then write nothing.
std::vector<Dataset> load_inputs(const Inputs& in, Diagnostics& diag);

// The column groups to print: with --compare one group holding both data
// sets, else one group per data set.
std::vector<std::vector<const Dataset*>> source_groups(const Inputs& in, const std::vector<Dataset>& data);

// An analysis binary's main, given `desc` (add_input_options() and its own
// options): --version; parsing; usage errors from validate() or, taking
// precedence, from `check` (an empty string or what to change); then the
// inputs, loaded. Errors in them stop the tool before it writes anything
// ("TOOL: N error(s) in the inputs: no OUTPUTS written"); else `write` gets
// them, and an exception from it is reported as "TOOL: error: ...". The
// diagnostics are printed last, followed, with `timed`, by "N network(s) read
// in S s". Returns the exit status: 2 on bad usage or when no network was
// read, 1 after an error, else 0.
struct AnalysisTool {
  std::string name;     // "xfer_tables"
  std::string outputs;  // what it writes: "tables"
  bool timed = false;
};
int run_analysis_tool(int argc, char** argv, const AnalysisTool& tool,
                      const boost::program_options::options_description& desc, const Inputs& in,
                      const std::function<std::string()>& check,
                      const std::function<void(const std::vector<Dataset>&, Diagnostics&)>& write);

}  // namespace xfer
