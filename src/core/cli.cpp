// cli.cpp: the command-line convention (see cli.h).
#include "core/cli.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/exit_codes.h"

namespace xfer::cli {

void add_common_options(po::options_description& desc) {
  desc.add_options()
      ("help,h", "print this help and exit")
      ("version", "print the code version and the libraries', and exit")
      ("config", po::value<std::string>(), "read options from this INI file (name = value, the option names without --); the command line wins");
}

namespace {

// Whether `s` holds "%name%", the shape of a Program_options placeholder.
bool holds_placeholder(const std::string& s) {
  for (size_t at = s.find('%'); at != std::string::npos; at = s.find('%', at + 1)) {
    size_t end = at + 1;
    while (end < s.size() && (std::isalpha(static_cast<unsigned char>(s[end])) || s[end] == '_')) ++end;
    if (end > at + 1 && end < s.size() && s[end] == '%') return true;
  }
  return false;
}

std::string refusal_kind(const po::error& e) {
  if (dynamic_cast<const po::invalid_option_value*>(&e)) return "its value is not valid";
  if (dynamic_cast<const po::invalid_config_file_syntax*>(&e))
    return "a line is neither [section], name = value nor a comment";
  if (dynamic_cast<const po::invalid_syntax*>(&e)) return "not valid syntax";
  if (dynamic_cast<const po::unknown_option*>(&e)) return "unknown option";
  if (dynamic_cast<const po::multiple_occurrences*>(&e)) return "given more than once";
  if (dynamic_cast<const po::required_option*>(&e)) return "missing";
  return "not accepted";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) v.push_back(line);
  return v;
}

}  // namespace

std::string error_text(const po::error& e, const std::vector<std::string>& inputs) {
  bool risky = false;
  for (const auto& s : inputs) risky = risky || holds_placeholder(s);
  if (!risky) return e.what();
  std::string option;
  if (const auto* named = dynamic_cast<const po::error_with_option_name*>(&e)) option = named->get_option_name();
  return (option.empty() ? std::string("an input") : "'" + option + "'") + ": " + refusal_kind(e) +
         " (input holding a %name% placeholder, not shown)";
}

bool parse(int argc, const char* const* argv, const po::options_description& desc,
           po::variables_map& vm, const std::string& usage,
           const po::positional_options_description* positional,
           const po::options_description* shown) {
  const std::vector<std::string> args(argv, argv + argc);
  try {
    po::command_line_parser parser(argc, argv);
    parser.options(desc);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
  } catch (const po::error& e) {
    throw UsageError(error_text(e, args));
  }
  if (vm.count("help")) {
    if (!usage.empty()) std::cout << usage << "\n";
    std::cout << (shown ? *shown : desc) << "\n";
    return false;
  }
  std::vector<std::string> inputs = args;
  if (vm.count("config")) {
    const std::string path = vm["config"].as<std::string>();
    std::ifstream f(path);
    if (!f) throw UsageError("cannot read config file '" + path + "'");
    std::stringstream text;
    text << f.rdbuf();
    for (auto& line : lines_of(text.str())) inputs.push_back(std::move(line));
    try {
      po::store(po::parse_config_file(text, desc), vm);
    } catch (const po::error& e) {
      throw UsageError(path + ": " + error_text(e, inputs));
    }
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(error_text(e, inputs));
  }
  return true;
}

namespace {

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n') c = ' ';
  return s;
}

}  // namespace

int run_tool(const char* tool, const std::function<int()>& body, bool report) {
  std::string usage;
  try {
    return body();
  } catch (const po::error& e) {
    usage = e.what();
  } catch (const UsageError& e) {
    usage = e.what();
  } catch (const std::exception& e) {
    if (report) std::cerr << tool << ": error: " << e.what() << "\n";
    return kExitError;
  }
  if (report) std::cerr << tool << ": " << one_line(usage) << " (see " << tool << " --help)\n";
  return kExitUsage;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::vector<std::string> parse_string_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (item = trim(item); !item.empty()) out.push_back(item);
  return out;
}

namespace {

// The whole of `text` as an int, or throws.
int whole_int(const std::string& text) {
  size_t used = 0;
  const int v = std::stoi(text, &used);
  if (used != text.size()) throw std::invalid_argument(text);
  return v;
}

}  // namespace

std::vector<int> parse_int_list(const std::string& s, const std::string& what) {
  std::vector<int> out;
  for (const auto& item : parse_string_list(s)) {
    const size_t dash = item.find('-', 1);  // not a leading minus
    try {
      if (dash == std::string::npos) {
        out.push_back(whole_int(item));
        continue;
      }
      const int lo = whole_int(item.substr(0, dash)), hi = whole_int(item.substr(dash + 1));
      if (hi < lo) throw std::invalid_argument(item);
      if (int64_t(hi) - lo + 1 + int64_t(out.size()) > kMaxListValues)
        throw UsageError(what + ": '" + item + "' makes the list longer than " + std::to_string(kMaxListValues) +
                         " values");
      for (int v = lo; v <= hi; ++v) out.push_back(v);
    } catch (const std::logic_error&) {
      throw UsageError(what + ": '" + item + "' is not an integer or a rising range like 1-7");
    }
  }
  return out;
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  try {
    return whole_int(v);
  } catch (const std::logic_error&) {
    return fallback;
  }
}

}  // namespace xfer::cli
