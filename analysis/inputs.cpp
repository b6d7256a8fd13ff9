// inputs.cpp: shared input options and loading.
#include "analysis/inputs.h"

#include <chrono>
#include <set>
#include <iostream>

#include "analysis/caffe_log.h"
#include "analysis/release_names.h"
#include "analysis/results_dir.h"
#include "analysis/tables.h"
#include "core/cli.h"
#include "core/exit_codes.h"
#include "core/provenance.h"

namespace xfer {

namespace po = boost::program_options;

void add_input_options(po::options_description& desc, Inputs& in) {
  cli::add_common_options(desc);
  desc.add_options()
      ("results", po::value(&in.results), "our results directory: every result.json below it")
      ("include-hidden", po::bool_switch(&in.include_hidden),
       "also read dot folders under --results (e.g. .stale/, where xfer_grid --rerun-stale moves old cells)")
      ("caffe-logs", po::value(&in.caffe_logs),
       "Caffe logs as in the paper's release: one folder per network (e.g. ../shared/paper/logs)")
      ("statistic", po::value(&in.statistic)->default_value(in.statistic),
       "per-network number: top10 (the paper's mean of the 10 best top-1), best, final")
      ("compare", po::bool_switch(&in.compare), "put ours beside the paper's (needs both inputs)");
}

std::string validate(const Inputs& in) {
  if (in.results.empty() && in.caffe_logs.empty()) return "give --results DIR and/or --caffe-logs DIR";
  if (in.compare && (in.results.empty() || in.caffe_logs.empty()))
    return "--compare needs both --results and --caffe-logs";
  if (in.include_hidden && in.results.empty()) return "--include-hidden needs --results";
  if (!parse_statistic(in.statistic)) return "--statistic must be top10, best or final";
  return "";
}

namespace {

void name_missing(const Dataset& ds, const std::vector<std::string>& expected, const std::string& what,
                  Diagnostics& diag) {
  auto missing = missing_cells(ds, expected);
  if (missing.empty()) return;
  std::string list;
  for (const auto& id : missing) list += (list.empty() ? "" : ", ") + id;
  diag.warn("", 0, ds.name + ": " + std::to_string(missing.size()) + " cell(s) of " + what +
                       " missing (reported as missing, not zero): " + list);
}

}  // namespace

std::vector<Dataset> load_inputs(const Inputs& in, Diagnostics& diag) {
  std::vector<Dataset> data;
  if (!in.results.empty())
    for (Dataset& d : split_by_batch_norm(read_results_dir(in.results, "ours", diag, in.include_hidden)))
      data.push_back(std::move(d));
  if (!in.caffe_logs.empty()) {
    data.push_back(read_caffe_log_dir(in.caffe_logs, "paper", diag));
    name_missing(data.back(), paper_grid_cell_ids(), "the paper's grid", diag);
  }
  if (in.compare && !in.caffe_logs.empty() && data.size() >= 2) {
    std::vector<std::string> theirs;
    for (const auto& [id, run] : data.back().runs) theirs.push_back(id);
    for (size_t i = 0; i + 1 < data.size(); ++i) name_missing(data[i], theirs, "the paper's logs", diag);
  }
  return data;
}

std::vector<std::vector<const Dataset*>> source_groups(const Inputs& in, const std::vector<Dataset>& data) {
  std::vector<std::vector<const Dataset*>> groups;
  if (in.compare) {
    groups.emplace_back();
    for (const auto& d : data) groups.back().push_back(&d);
  } else {
    for (const auto& d : data) groups.push_back({&d});
  }
  return groups;
}

namespace {

// run_analysis_tool() once the options are read.
int write_from_inputs(const AnalysisTool& tool, const Inputs& in,
                      const std::function<void(const std::vector<Dataset>&, Diagnostics&)>& write) {
  const auto t0 = std::chrono::steady_clock::now();
  Diagnostics diag;
  const std::vector<Dataset> data = load_inputs(in, diag);
  if (int errors = diag.error_count()) {
    std::cerr << diag.report() << tool.name << ": " << errors << " error(s) in the inputs: no " << tool.outputs
              << " written\n";
    return kExitError;
  }
  std::set<std::string> files;  // a base is in each bn data set: count each network once
  for (const auto& d : data)
    for (const auto& [id, run] : d.runs) files.insert(run.origin);
  const size_t nets = files.size();
  try {
    write(data, diag);
  } catch (const std::exception& e) {
    std::cerr << diag.report() << tool.name << ": error: " << printable(e.what()) << "\n";
    return kExitError;
  }
  std::cerr << diag.report();
  if (tool.timed) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cerr << nets << " network(s) read in " << secs << " s\n";
  }
  return nets == 0 ? kExitUsage : kExitDone;  // nothing to tabulate: the inputs named none
}

}  // namespace

int run_analysis_tool(int argc, char** argv, const AnalysisTool& tool, const po::options_description& desc,
                      const Inputs& in, const std::function<std::string()>& check,
                      const std::function<void(const std::vector<Dataset>&, Diagnostics&)>& write) {
  if (print_version_if_asked(argc, argv, tool.name, {})) return kExitDone;
  return cli::run_tool(tool.name.c_str(), [&]() -> int {
    po::variables_map vm;
    if (!cli::parse(argc, argv, desc, vm)) return kExitDone;
    std::string problem = validate(in);
    if (std::string own = check(); !own.empty()) problem = own;
    if (!problem.empty()) throw cli::UsageError(printable(problem));
    return write_from_inputs(tool, in, write);
  });
}

}  // namespace xfer
