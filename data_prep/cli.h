// cli.h: small helpers shared by the data_prep command lines.
#pragma once

#include <boost/program_options.hpp>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace xfer::cli {

// "0,1,2" or "0-3" or "" -> integers.
inline std::vector<int> parse_int_list(const std::string& s, const char* option) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    if (tok.empty()) continue;
    try {
      auto dash = tok.find('-', 1);
      if (dash != std::string::npos) {
        int lo = std::stoi(tok.substr(0, dash)), hi = std::stoi(tok.substr(dash + 1));
        for (int v = lo; v <= hi; ++v) out.push_back(v);
      } else {
        size_t used = 0;
        out.push_back(std::stoi(tok, &used));
        if (used != tok.size()) throw std::invalid_argument(tok);
      }
    } catch (const std::logic_error&) {
      throw std::runtime_error(std::string("--") + option + ": '" + tok +
                               "' is not an integer or a range like 0-3");
    }
  }
  return out;
}

// An integer from the environment (e.g. SLURM_PROCID), or `fallback`.
inline int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  try {
    return std::stoi(v);
  } catch (const std::logic_error&) {
    return fallback;
  }
}

// Parses argv against `desc` (and `positional`, when given) into `vm`; prints
// the help and returns false on --help, so the tool exits 0. Option errors
// throw boost's exceptions.
inline bool parse_args(int argc, char** argv, const boost::program_options::options_description& desc,
                       boost::program_options::variables_map& vm,
                       const boost::program_options::positional_options_description* positional = nullptr) {
  namespace po = boost::program_options;
  po::command_line_parser parser(argc, argv);
  parser.options(desc);
  if (positional) parser.positional(*positional);
  po::store(parser.run(), vm);
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return false;
  }
  po::notify(vm);
  return true;
}

}  // namespace xfer::cli
