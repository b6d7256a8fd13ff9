// plot_main.cpp: xfer_plot, the paper's figures as PNG, SVG and PDF (via gnuplot)
// from our results directory and/or the paper's Caffe logs.
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>

#include "analysis/figures.h"
#include "analysis/inputs.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  using namespace xfer;
  Inputs in;
  FigureOptions fo;
  std::string out_dir = "figures";
  po::options_description desc(
      "xfer_plot: the figures of \"How transferable are features in deep neural networks?\"\n"
      "as PNG, SVG and PDF, each with its CSV data and gnuplot script. With --compare both\n"
      "inputs go on one figure. Options");
  add_input_options(desc, in);
  desc.add_options()
      ("out", po::value(&out_dir)->default_value(out_dir), "folder for transfer, transfer_effects, dissimilar, relative, reduced (.png .svg .pdf .gp .csv)")
      ("gnuplot", po::value(&fo.gnuplot)->default_value(fo.gnuplot), "the gnuplot program to run");
  auto write = [&](const std::vector<Dataset>& data, Diagnostics& diag) {
    fo.statistic = *parse_statistic(in.statistic);
    for (const auto& group : source_groups(in, data)) {
      FigureOptions g = fo;
      g.out_dir = out_dir;
      if (data.size() > 1 && group.size() == 1) g.out_dir /= group[0]->name;
      fs::create_directories(g.out_dir);
      for (const auto& f : write_figures(group, g, diag)) std::cout << "wrote " << f.string() << "\n";
    }
  };
  return run_analysis_tool(argc, argv, {"xfer_plot", "figures", false}, desc, in, [] { return std::string(); }, write);
}
