// tool_main.cpp: see tool_main.h.
#include "data_prep/tool_main.h"

#include "core/cli.h"
#include "core/provenance.h"
#include "io/h5.h"  // h5_library_versions

namespace xfer {

int prep_tool_main(int argc, char** argv, const char* tool,
                   const std::function<boost::program_options::options_description()>& describe,
                   const std::function<int()>& run,
                   const boost::program_options::positional_options_description* positional) {
  if (print_version_if_asked(argc, argv, tool, h5_library_versions())) return 0;
  const boost::program_options::options_description desc = describe();
  return cli::run_tool(tool, [&]() -> int {
    boost::program_options::variables_map vm;
    if (!cli::parse(argc, argv, desc, vm, "", positional)) return 0;
    return run();
  });
}

}  // namespace xfer
