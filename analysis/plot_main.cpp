// plot_main.cpp: xfer_plot, the paper's figures as PNG, SVG and PDF (via gnuplot)
// from our results directory and/or the paper's Caffe logs.
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>

#include "core/cli.h"
#include "core/provenance.h"
#include "analysis/figures.h"
#include "analysis/inputs.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (xfer::print_version_if_asked(argc, argv, "xfer_plot", {})) return 0;
  using namespace xfer;
  Inputs in;
  FigureOptions fo;
  std::string out_dir = "figures";
  po::options_description desc(
      "xfer_plot: the figures of \"How transferable are features in deep neural networks?\"\n"
      "as PNG, SVG and PDF, each with its CSV data and gnuplot script. With --compare both\n"
      "inputs go on one figure. Options");
  cli::add_common_options(desc);
  add_input_options(desc, in);
  desc.add_options()
      ("out", po::value(&out_dir)->default_value(out_dir), "folder for transfer, transfer_effects, dissimilar, relative, reduced (.png .svg .pdf .gp .csv)")
      ("gnuplot", po::value(&fo.gnuplot)->default_value(fo.gnuplot), "the gnuplot program to run");
  return cli::run_tool("xfer_plot", [&]() -> int {
    po::variables_map vm;
    if (!cli::parse(argc, argv, desc, vm)) return 0;
    if (auto problem = validate(in); !problem.empty()) throw cli::UsageError(printable(problem));
    fo.statistic = *parse_statistic(in.statistic);
    Diagnostics diag;
    auto data = load_inputs(in, diag);
    if (int errors = diag.error_count()) {
      std::cerr << diag.report() << "xfer_plot: " << errors << " error(s) in the inputs: no figures written\n";
      return 1;
    }
    size_t nets = 0;
    for (const auto& d : data) nets += d.runs.size();
    try {
      for (const auto& group : source_groups(in, data)) {
        FigureOptions g = fo;
        g.out_dir = out_dir;
        if (data.size() > 1 && group.size() == 1) g.out_dir /= group[0]->name;
        fs::create_directories(g.out_dir);
        for (const auto& f : write_figures(group, g, diag)) std::cout << "wrote " << f.string() << "\n";
      }
    } catch (const std::exception& e) {
      std::cerr << diag.report() << "xfer_plot: error: " << printable(e.what()) << "\n";
      return 1;
    }
    std::cerr << diag.report();
    return nets == 0 ? 2 : 0;
  });
}
