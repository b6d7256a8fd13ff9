// train_config.h: everything a training run is told, as one plain struct.
// One table of options (train_config.cpp: name, member, help, whether it is
// part of the run identity) is the single source of the option names, defaults
// and help: the Boost.Program_options description for the command line and
// config files (used as every tool uses it, core/cli.h), config.ini, the run
// identity's text and the arguments the grid gives the trainer are all made
// from it. validate() says what to change when a value is wrong.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/transfer_mode.h"
#include "net/net_spec.h"

namespace xfer {

// Fixed ceilings, checked where a value is parsed (the trainer's options and
// the grid's keys): a login node checks grids meant for compute nodes, so they
// cannot be this machine's cores. Beyond them OpenMP runtimes crash or hang,
// and fc8's parameter count nears what an int shape holds.
constexpr int kMaxThreads = 1024;
constexpr int kMaxLoaderThreads = 64;
constexpr int kMaxFc8Outputs = 100000;  // ImageNet-21k has 21,841 classes

struct TrainConfig {
  std::string network = "small";  // the network preset (net_spec.h)
  std::string data;      // split-half shard folder; empty: the generated batch
  std::string out = "run";
  std::string cell_id;
  std::string backend = "cpu";
  // Transfer.
  std::string base;      // base checkpoint (frozen / finetune)
  int transfer_n = 0;
  TransferMode transfer_mode = TransferMode::None;
  int fc8_outputs = 0;   // 0: the number of classes
  double dropout_ratio = -1;  // <0: the preset's (0.5)
  // How the copied layers' batch normalisations behave (BnMode): "frozen" or
  // "train"; the network's default ("frozen", or "" for one without any).
  std::string bn;
  // Solver (defaults from the preset).
  SolverSpec solver;
  // Run.
  uint64_t seed = 1;
  int threads = 0;
  int display = 20;
  bool resume = true;
  bool tf32 = false;
  int test_batches = 0;  // 0: the full validation set each test
  int loader_threads = 2;
  int stop_after = 0;    // >0: act as if SIGUSR1 came after this iteration (drills, tests)
  // The generated batch (no --data): classes and examples per subset.
  int synthetic_classes = 10;
  int synthetic_train = 2048, synthetic_val = 512;

  void validate() const;  // throws xfer::Error naming the option
  // The configuration as INI text (option names as in --help).
  std::string to_ini() const;
  // What identifies the run is config/run_identity.h.
};

// Every option's name, in the table's order (config.ini's order).
std::vector<std::string> train_option_names();

// The options of the table's Solver section (base-lr ... snapshot-interval),
// in its order, and any option's help text: the grid's [solver] keys are these
// rows (grid/grid_keys.h), so both programs name and describe them alike.
std::vector<std::string> solver_option_names();
std::string train_option_help(const std::string& name);
bool train_option_is_integer(const std::string& name);

// Sets option `name` of `c` from its text as a config file would
// ("--max-iter 300"); throws cli::UsageError when the text is not of the
// option's type. The grid reads its [solver] keys through this.
void set_train_option(TrainConfig& c, const std::string& name, const std::string& text);

// What a solver setting must be, one rule per option: the trainer's
// validate() and the grid's [solver] check both apply these, so a grid is
// refused for exactly what its cells' trainer would refuse.
struct SolverRule {
  const char* option;  // the trainer's option name, without "--"
  const char* range;   // in words: "positive", "in (0, 1]"
  bool (*ok)(const SolverSpec& s);
};
const std::vector<SolverRule>& solver_rules();

// The first rule `s` breaks, as its option and the words "must be <range>,
// got <value>"; nullopt when it breaks none. Each program names the setting
// as its users write it ("--lr-step", "solver.lr_step").
struct SolverProblem {
  std::string option, what;
};
std::optional<SolverProblem> solver_problem(const SolverSpec& s);

// `names` (options of the table, without "--") as trainer arguments:
// {"--max-iter", "300", ...}, in the order given; numbers as the grid has
// always written them (10 significant digits). Throws on an unknown name.
std::vector<std::string> train_args(const TrainConfig& cfg, const std::vector<std::string>& names);

// The text the run identity hashes (config/run_identity.h): the options marked
// as defining the run, in the table's order, with the data and the base given
// by their identities, not their paths.
std::string identity_text(const TrainConfig& cfg, const std::string& data_identity,
                          const std::string& base_identity);

// Parses argv (and --config FILE). Returns nullopt after printing --help,
// --fidelity or on --version (which main prints). Throws po::error or
// cli::UsageError on unknown or invalid options.
std::optional<TrainConfig> parse_train_config(int argc, const char* const* argv);

}  // namespace xfer
