// tool_main.h: the data tools' main, written once: --version before anything
// else, then the options parsed and the tool run under the command-line
// convention of core/cli.h (usage errors kExitUsage, other errors kExitError).
#pragma once

#include <boost/program_options.hpp>
#include <functional>

namespace xfer {

// `describe` makes the tool's options (bound to its own variables); `run`
// does the work once they are parsed and returns the exit code.
int prep_tool_main(int argc, char** argv, const char* tool,
                   const std::function<boost::program_options::options_description()>& describe,
                   const std::function<int()>& run,
                   const boost::program_options::positional_options_description* positional = nullptr);

}  // namespace xfer
