// cli.h: the one command-line convention every tool follows.
//
// Boost.Program_options, used the same way everywhere (it is already the
// trainer's single source of option names, defaults and help, and a Debian
// package; CLI11 would be a second library for the same job):
//   - every tool takes --help (to stdout, kExitDone), --version and --config FILE:
//     an INI file with the tool's own option names (`name = value`; the
//     command line wins over it);
//   - a usage error (an unknown option, a bad value, a missing one) is one
//     line on stderr, "<tool>: <what> (see <tool> --help)", and kExitUsage;
//   - a runtime error is one line on stderr, "<tool>: error: <what>" naming
//     the file concerned, and kExitError (core/exit_codes.h, every code once).
// The same concept has the same option name in every tool (--seeds for the
// random-split seeds, --network for a network preset, --preset for a grid
// preset, --fc8-outputs, --out, --data, --threads).
#pragma once

#include <boost/program_options.hpp>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace xfer::cli {

namespace po = boost::program_options;

// Bad usage found after parsing (a value out of range, options that do not go
// together): run_tool() reports it like an unknown option, with kExitUsage.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// --help, --version and --config FILE, for `desc` (every tool has them).
void add_common_options(po::options_description& desc);

// Parses argv, then the --config file when given (the command line wins), and
// notifies. Returns false after printing `usage` and the options for --help
// (`shown`, when some of `desc` are positional-only and not for the help).
// Throws po::error or UsageError on bad usage.
bool parse(int argc, const char* const* argv, const po::options_description& desc,
           po::variables_map& vm, const std::string& usage = "",
           const po::positional_options_description* positional = nullptr,
           const po::options_description* shown = nullptr);

// The text of a Program_options error about `inputs` (the arguments, or a
// config file's lines). Boost 1.74 builds that text by replacing placeholders
// (%value%, %canonical_option%, %invalid_line%, ...) with the offending input
// until none is left, so an input that itself holds a placeholder never
// finishes; for such input the text says what was refused without it.
std::string error_text(const po::error& e, const std::vector<std::string>& inputs);

// Runs a tool's body and turns what it throws into the convention above:
// po::error and UsageError give kExitUsage, anything else kExitError. With `report`
// false nothing is printed (the ranks of a job other than the first).
int run_tool(const char* tool, const std::function<int()>& body, bool report = true);

// "1-3,5" -> {1, 2, 3, 5}; "" -> {}. A descending range (3-1), anything that
// is not an integer, or a list longer than kMaxListValues (seeds 0-100000000
// would fill the memory) throws UsageError naming `what` and the item.
constexpr int64_t kMaxListValues = 100000;
std::vector<int> parse_int_list(const std::string& s, const std::string& what);
// "a, b,c" -> {"a", "b", "c"}: items trimmed, empty ones dropped.
std::vector<std::string> parse_string_list(const std::string& s);
std::string trim(const std::string& s);

// An integer from the environment (e.g. SLURM_PROCID), or `fallback`.
int env_int(const char* name, int fallback);

}  // namespace xfer::cli
