// tables_main.cpp: xfer_tables, the paper's tables (and, with --figures, its
// figures) from our results directory and/or the paper's Caffe logs.
#include <algorithm>
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>

#include "analysis/figures.h"
#include "analysis/inputs.h"
#include "analysis/tables.h"
#include "io/atomic_file.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  using namespace xfer;
  Inputs in;
  std::string format = "markdown", out_dir;
  std::vector<std::string> only;
  bool figures = false;
  po::options_description desc(
      "xfer_tables: the tables of \"How transferable are features in deep neural networks?\"\n"
      "from our results and/or the paper's Caffe logs. Options");
  add_input_options(desc, in);
  desc.add_options()
      ("format", po::value(&format)->default_value(format), "markdown, csv or latex (stdout and --out files)")
      ("out", po::value(&out_dir), "also write each table as <name>.<md|csv|tex> into this folder")
      ("table", po::value(&only)->multitoken(),
       "print only these: main table1 dissimilar random relative reduced decomposition effects uncertainty networks generality representations bn")
      ("figures", po::bool_switch(&figures), "also write the figures (PNG, SVG, PDF, with their CSV data and gnuplot scripts) into --out");
  Format fmt = Format::Markdown;
  auto check = [&] {
    std::string problem;
    if (format == "csv") fmt = Format::Csv;
    else if (format == "latex") fmt = Format::Latex;
    else if (format != "markdown") problem = "--format must be markdown, csv or latex";
    if (figures && out_dir.empty()) problem = "--figures needs --out DIR";
    const std::vector<std::string> names = {"main", "table1", "dissimilar", "random", "relative", "reduced", "decomposition", "effects", "uncertainty", "networks", "generality", "representations", "bn"};
    for (const auto& n : only)
      if (std::find(names.begin(), names.end(), n) == names.end())
        problem = "--table " + n + " is none of: main table1 dissimilar random relative reduced decomposition effects uncertainty networks generality representations bn";
    return problem;
  };
  auto write = [&](const std::vector<Dataset>& data, Diagnostics& diag) {
    const Statistic stat = *parse_statistic(in.statistic);
    if (!out_dir.empty()) fs::create_directories(out_dir);
    for (const auto& group : source_groups(in, data)) {
      std::string suffix = group.size() == 1 && data.size() > 1 ? "_" + group[0]->name : "";
      const bool per_group = only.empty() || std::any_of(only.begin(), only.end(), [](const std::string& n) { return n != "bn"; });
      if (data.size() > 1 && group.size() == 1 && fmt == Format::Markdown && per_group)
        std::cout << "## " << group[0]->name << "\n\n";
      for (auto& t : all_tables(group, stat, diag)) {
        if (!only.empty() && std::find(only.begin(), only.end(), t.name) == only.end()) continue;
        std::string text = render(t, fmt);
        if (fmt == Format::Csv) std::cout << "# " << t.name << suffix << ": " << t.title << "\n";
        std::cout << text << "\n";
        if (!out_dir.empty())
          write_file_atomic((fs::path(out_dir) / (t.name + suffix + "." + extension(fmt))).string(), text);
      }
      if (figures) {
        FigureOptions fo{fs::path(out_dir), stat};
        if (!suffix.empty()) fo.out_dir /= group[0]->name;
        fs::create_directories(fo.out_dir);
        for (const auto& f : write_figures(group, fo, diag)) std::cerr << "wrote " << f.string() << "\n";
      }
    }
    // The bn axis compares two data sets, so it is printed once, after them.
    std::vector<const Dataset*> all;
    for (const auto& d : data) all.push_back(&d);
    const Table bn = batch_norm_table(all, stat, diag);
    if (!bn.rows.empty() && (only.empty() || std::find(only.begin(), only.end(), "bn") != only.end())) {
      if (fmt == Format::Markdown && only.size() != 1) std::cout << "## the bn axis\n\n";
      const std::string text = render(bn, fmt);
      if (fmt == Format::Csv) std::cout << "# " << bn.name << ": " << bn.title << "\n";
      std::cout << text << "\n";
      if (!out_dir.empty()) write_file_atomic((fs::path(out_dir) / (bn.name + "." + extension(fmt))).string(), text);
    }
  };
  return run_analysis_tool(argc, argv, {"xfer_tables", "tables", true}, desc, in, check, write);
}
