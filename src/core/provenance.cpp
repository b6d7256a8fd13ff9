// provenance.cpp: the machine and the command line (the code version itself
// is generated at build time; see cmake/version.cmake).
#include "core/provenance.h"

#include <fstream>
#include <iostream>

namespace xfer {

namespace {
std::string g_command_line;
}  // namespace

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
  }
  return "unknown";
}

void set_command_line(int argc, char** argv) {
  g_command_line.clear();
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    // Quoted where a shell would split it, so the line can be run again.
    if (a.empty() || a.find_first_of(" \t'\"$\\") != std::string::npos) {
      std::string q = "'";
      for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      a = q + "'";
    }
    g_command_line += (i ? " " : "") + a;
  }
}

const std::string& command_line() { return g_command_line; }

std::string version_text(const std::string& tool, const LibraryVersions& libraries) {
  std::string s = tool + " " + code_version() + "\n";
  for (const auto& [name, version] : libraries) s += "  " + name + " " + version + "\n";
  return s;
}

bool print_version_if_asked(int argc, char** argv, const std::string& tool,
                            const LibraryVersions& libraries) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--version") {
      std::cout << version_text(tool, libraries);
      return true;
    }
  return false;
}

}  // namespace xfer
