// train_main.cpp: xfer_train, one network of the experiment. Reports any
// error with its context and ends every rank (a failing rank never leaves
// the others waiting in a collective).
#include <exception>
#include <iostream>
#include <optional>

#include "backend/backend.h"
#include "comm/make_communicator.h"
#include "config/train_config.h"
#include "core/check.h"
#include "core/cli.h"
#include "core/log.h"
#include "train/provenance.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  using namespace xfer;
  set_command_line(argc, argv);
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--version") {  // before MPI: no launcher needed
      LibraryVersions libs = engine_library_versions();
      std::string built;
      for (const auto& b : built_backends()) built += (built.empty() ? "" : " ") + b;
      libs.insert(libs.begin(), {"backends", built});  // `xfer_grid submit` checks this line
      std::cout << version_text("xfer_train", libs);
      return kExitDone;
    }
  std::optional<Communicators> comms;
  try {
    const Communicator& comm = comms.emplace(&argc, &argv).process();
    set_error_context(comm.rank(), comm.size());
    set_log_rank(comm.rank(), comm.size());
    std::optional<TrainConfig> cfg;
    // Usage errors as every tool reports them (core/cli.h), once, not per rank.
    const int usage_rc = cli::run_tool("xfer_train", [&] {
      cfg = parse_train_config(argc, argv);
      return kExitDone;
    }, comm.rank() == 0);
    if (usage_rc != kExitDone) return usage_rc;
    if (!cfg) return kExitDone;
    install_stop_handlers();
    int rc = run_training(*cfg, comms->for_gradients(cfg->backend));
    comms.reset();
    return rc;
  } catch (const Error& e) {
    std::cerr << "xfer_train: error: " << e.what() << std::endl;
    if (comms && comms->process().size() > 1) comms->process().abort(kExitError);
    return kExitError;
  } catch (const std::exception& e) {
    // Errors from outside our check macros get the host and rank added here.
    std::cerr << "xfer_train: error: " << e.what() << " [" << error_context() << "]" << std::endl;
    if (comms && comms->process().size() > 1) comms->process().abort(kExitError);
    return kExitError;
  }
}
