// train_config.cpp: the trainer's options, declared once in a table (options()).
#include "config/train_config.h"

#include <cmath>

#include <boost/program_options.hpp>

#include <cstring>
#include <functional>
#include <iostream>
#include <sstream>
#include <type_traits>

#include "core/check.h"
#include "core/cli.h"
#include "config/fidelity.h"

namespace po = boost::program_options;

namespace xfer {

// --transfer-mode's text to the enum, for Boost.Program_options (found by
// argument-dependent lookup, so it lives in the enum's namespace).
void validate(boost::any& v, const std::vector<std::string>& values, TransferMode*, int);

namespace {

enum class Section { General, Transfer, Solver, Run };

// How an option enters the run identity: not at all, by its value, by its
// value only for the generated batch (whose options define its data), or as
// the identity of the data / base its path names.
// BatchNormOnly: a value only a network with batch normalisation has (empty
// otherwise, and then neither in the identity nor in config.ini, so the
// identities of CaffeNet runs are what they always were).
enum class Identity { No, Value, GeneratedOnly, DataIdentity, BaseIdentity, BatchNormOnly };
struct InIdentity {
  const char* line = nullptr;  // the identity text's line the value goes on
  Identity how = Identity::No;
};
InIdentity as(const char* line, Identity how = Identity::Value) { return {line, how}; }

// One option of the table: everything else about it is made from this.
struct Option {
  std::string name;
  Section section;
  std::string help;
  InIdentity identity;
  // Its Boost.Program_options semantic, with `defaults`' value as default
  // (solver options have none: the network preset's apply).
  std::function<po::value_semantic*(const TrainConfig& defaults)> semantic;
  std::function<void(const po::variable_value&, TrainConfig&)> take;
  std::function<void(std::ostream&, const TrainConfig&)> print;
  bool integer = false;  // an integral value (the grid's key table types its rows by it)
};

// A member of TrainConfig or of its SolverSpec.
template <class C, class T>
T& member(TrainConfig& c, T C::*m) {
  if constexpr (std::is_same_v<C, SolverSpec>) return c.solver.*m;
  else return c.*m;
}
template <class C, class T>
const T& member(const TrainConfig& c, T C::*m) {
  if constexpr (std::is_same_v<C, SolverSpec>) return c.solver.*m;
  else return c.*m;
}

template <class C, class T>
Option option(const char* name, Section section, std::string help, T C::*m, InIdentity identity = {}) {
  Option o{name, section, std::move(help), identity, {}, {}, {}};
  o.semantic = [m](const TrainConfig& d) -> po::value_semantic* {
    auto* v = po::value<T>();
    if constexpr (std::is_same_v<C, SolverSpec>) {
      return v;
    } else if constexpr (std::is_same_v<T, TransferMode>) {
      return v->default_value(member(d, m), to_string(member(d, m)));
    } else if constexpr (std::is_same_v<T, std::string>) {
      return member(d, m).empty() ? v : v->default_value(member(d, m));
    } else {
      return v->default_value(member(d, m));
    }
  };
  o.integer = std::is_integral_v<T> && !std::is_same_v<T, bool>;
  o.take = [m](const po::variable_value& v, TrainConfig& c) { member(c, m) = v.as<T>(); };
  o.print = [m](std::ostream& out, const TrainConfig& c) {
    if constexpr (std::is_same_v<T, TransferMode>) out << to_string(member(c, m));
    else out << member(c, m);
  };
  return o;
}

// The trainer's options, in config.ini's order; within a section, in --help's.
// Options that share an identity line follow each other.
const std::vector<Option>& options() {
  using S = Section;
  using TC = TrainConfig;
  using SS = SolverSpec;
  static const std::vector<Option> table = {
      option("network", S::General,
             "network preset (and its solver defaults): caffenet | small | resnet18 | resnet50 | resnet-small",
             &TC::network,
             as("network")),
      option("data", S::General, "split-half shard folder (train-*.h5, val-*.h5, mean.h5); omit to train on a generated batch",
             &TC::data, as("data", Identity::DataIdentity)),
      option("out", S::General, "output folder: config.ini, checkpoint.h5, final.h5, result.json", &TC::out),
      option("cell-id", S::General, "grid cell id recorded in the result (e.g. half0-AB-n3-frozen)", &TC::cell_id),
      option("backend", S::General, "cpu | cuda", &TC::backend),
      option("base", S::Transfer, "base checkpoint to copy layers from (frozen / finetune: 1..n; continue: all)", &TC::base,
             as("base", Identity::BaseIdentity)),
      option("transfer-n", S::Transfer,
             "layers 1..n copied (or left random): 1.." + std::to_string(kMaxTransferLayer) +
                 " for CaffeNet, 1..5 (stem, layer1..4) for resnet18/50, 1..4 for resnet-small",
             &TC::transfer_n,
             as("transfer")),
      option("transfer-mode", S::Transfer, "none | frozen | finetune | random | continue (every layer, fc8 included, from --base, all trained; "
             "no --transfer-n)",
             &TC::transfer_mode, as("transfer")),
      option("fc8-outputs", S::Transfer, "fc8 outputs; 0 = number of classes (the paper used 1000 for 500-class nets)",
             &TC::fc8_outputs, as("fc8-outputs")),
      option("bn", S::Transfer,
             "the copied layers' batch normalisations (residual presets): frozen (running statistics, scale and "
             "shift fixed; the default) | train (batch statistics)",
             &TC::bn, as("bn", Identity::BatchNormOnly)),
      option("dropout-ratio", S::Transfer, "dropout ratio of fc6/fc7; <0 = the preset's (0.5)", &TC::dropout_ratio,
             as("dropout-ratio")),
      option("base-lr", S::Solver, "base learning rate", &SS::base_lr, as("solver")),
      option("gamma", S::Solver, "learning rate factor every lr-step iterations", &SS::gamma, as("solver")),
      option("lr-step", S::Solver, "iterations between learning-rate drops", &SS::lr_step, as("solver")),
      option("max-iter", S::Solver, "iterations to train", &SS::max_iter, as("solver")),
      option("momentum", S::Solver, "momentum", &SS::momentum, as("solver")),
      option("weight-decay", S::Solver, "weight decay", &SS::weight_decay, as("solver")),
      option("batch", S::Solver, "global batch (split across ranks)", &SS::batch, as("solver")),
      option("test-interval", S::Solver, "iterations between validations", &SS::test_interval, as("solver")),
      option("test-start", S::Solver,
             "first iteration validated (0: from the start; the last is always validated)", &SS::test_start,
             as("solver")),
      option("snapshot-interval", S::Solver, "iterations between checkpoints", &SS::snapshot_interval),
      option("seed", S::Run, "run seed (initialisation, data order, dropout)", &TC::seed, as("seed")),
      option("threads", S::Run, "CPU threads for the backend; 0 = all cores", &TC::threads),
      option("loader-threads", S::Run, "threads preparing batches", &TC::loader_threads),
      option("display", S::Run, "iterations between progress lines", &TC::display),
      option("resume", S::Run, "resume from <out>/checkpoint.h5 when it exists", &TC::resume),
      option("tf32", S::Run, "TF32 math for convolutions and GEMMs (CUDA)", &TC::tf32, as("tf32")),
      option("stop-after", S::Run,
             "act as if SIGUSR1 arrived after this iteration (preemption drills); 0 = never", &TC::stop_after),
      option("test-batches", S::Run, "validation batches per test; 0 = the whole set", &TC::test_batches,
             as("test-batches")),
      option("synthetic-classes", S::Run, "classes of the generated batch", &TC::synthetic_classes,
             as("generated", Identity::GeneratedOnly)),
      option("synthetic-train", S::Run, "training examples of the generated batch", &TC::synthetic_train,
             as("generated", Identity::GeneratedOnly)),
      option("synthetic-val", S::Run, "validation examples of the generated batch", &TC::synthetic_val,
             as("generated", Identity::GeneratedOnly)),
  };
  return table;
}

const Option& find_option(const std::string& name) {
  for (const Option& o : options())
    if (o.name == name) return o;
  throw Error("xfer_train has no option --" + name);
}

}  // namespace

void validate(boost::any& v, const std::vector<std::string>& values, TransferMode*, int) {
  po::validators::check_first_occurrence(v);
  const std::string& s = po::validators::get_single_string(values);
  const std::optional<TransferMode> m = parse_transfer_mode(s);
  if (!m) throw cli::UsageError("--transfer-mode must be none, frozen, finetune, random or continue, got '" + s + "'");
  v = boost::any(*m);
}

std::optional<TrainConfig> parse_train_config(int argc, const char* const* argv) {
  const TrainConfig defaults;
  po::options_description general("General");
  cli::add_common_options(general);
  general.add_options()("fidelity", "print where this system deliberately differs from the paper, and exit");
  po::options_description transfer("Transfer");
  po::options_description solver("Solver (defaults: the preset's; caffenet = the paper's)");
  po::options_description run("Run");
  po::options_description* section[] = {&general, &transfer, &solver, &run};
  for (const Option& o : options())
    section[static_cast<int>(o.section)]->add_options()(o.name.c_str(), o.semantic(defaults), o.help.c_str());
  po::options_description all("xfer_train: trains one network of the experiment\n\nOptions");
  all.add(general).add(transfer).add(solver).add(run);

  po::variables_map vm;
  if (!cli::parse(argc, argv, all, vm)) return std::nullopt;
  if (vm.count("version")) return std::nullopt;  // printed by main, which sees every library
  if (vm.count("fidelity")) {
    for (const auto& d : deviations()) std::cout << "- " << d.what << "\n  Why: " << d.why << "\n";
    return std::nullopt;
  }
  TrainConfig c;
  c.network = vm["network"].as<std::string>();
  try {
    c.solver = net_preset(c.network).solver;  // what the solver options given then override
  } catch (const Error& e) {
    throw cli::UsageError(std::string("--network: ") + e.what());
  }
  for (const Option& o : options())
    if (vm.count(o.name)) o.take(vm[o.name], c);
  if (c.bn.empty() && net_preset(c.network).has_batch_norm()) c.bn = "frozen";
  try {
    c.validate();
  } catch (const Error& e) {
    throw cli::UsageError(e.what());
  }
  return c;
}

std::vector<std::string> train_option_names() {
  std::vector<std::string> names;
  for (const Option& o : options()) names.push_back(o.name);
  return names;
}

std::vector<std::string> solver_option_names() {
  std::vector<std::string> names;
  for (const Option& o : options())
    if (o.section == Section::Solver) names.push_back(o.name);
  return names;
}

std::string train_option_help(const std::string& name) { return find_option(name).help; }

bool train_option_is_integer(const std::string& name) { return find_option(name).integer; }

void set_train_option(TrainConfig& c, const std::string& name, const std::string& text) {
  const Option& o = find_option(name);
  po::options_description one;
  one.add_options()(o.name.c_str(), o.semantic(TrainConfig{}));
  const std::string arg = "--" + name + "=" + text;  // one word: "-5" is not an option
  const char* argv[] = {"xfer_train", arg.c_str()};
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(2, argv).options(one).run(), vm);
  } catch (const po::error&) {
    throw cli::UsageError("'" + text + "' is not a valid --" + name);
  }
  o.take(vm[name], c);
}

const std::vector<SolverRule>& solver_rules() {
  using S = SolverSpec;
  static const std::vector<SolverRule> rules = {
      {"base-lr", "finite and positive", [](const S& s) { return s.base_lr > 0 && std::isfinite(s.base_lr); }},
      {"gamma", "in (0, 1]", [](const S& s) { return s.gamma > 0 && s.gamma <= 1; }},
      {"lr-step", "positive", [](const S& s) { return s.lr_step > 0; }},
      {"max-iter", "positive", [](const S& s) { return s.max_iter > 0; }},
      {"momentum", "in [0, 1)", [](const S& s) { return s.momentum >= 0 && s.momentum < 1; }},
      {"weight-decay", "finite and >= 0", [](const S& s) { return s.weight_decay >= 0 && std::isfinite(s.weight_decay); }},
      {"batch", "positive", [](const S& s) { return s.batch > 0; }},
      {"test-interval", "positive", [](const S& s) { return s.test_interval > 0; }},
      {"test-start", "in 0..max-iter", [](const S& s) { return s.test_start >= 0 && s.test_start <= s.max_iter; }},
      {"snapshot-interval", "positive", [](const S& s) { return s.snapshot_interval > 0; }},
  };
  return rules;
}

std::optional<SolverProblem> solver_problem(const SolverSpec& s) {
  TrainConfig shown;  // prints the value as config.ini would
  shown.solver = s;
  for (const SolverRule& r : solver_rules()) {
    if (r.ok(s)) continue;
    std::ostringstream what;
    what << "must be " << r.range;
    if (std::string(r.option) == "test-start") what << " (" << s.max_iter << ")";
    what << ", got ";
    find_option(r.option).print(what, shown);
    return SolverProblem{r.option, what.str()};
  }
  return std::nullopt;
}

std::vector<std::string> train_args(const TrainConfig& cfg, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& name : names) {
    std::ostringstream v;
    v.precision(10);  // what the grid has always passed: cell identities depend on it
    find_option(name).print(v, cfg);
    out.push_back("--" + name);
    out.push_back(v.str());
  }
  return out;
}

std::string identity_text(const TrainConfig& cfg, const std::string& data_identity,
                          const std::string& base_identity) {
  std::ostringstream o;
  o.precision(17);
  const char* line = nullptr;
  for (const Option& opt : options()) {
    const InIdentity& id = opt.identity;
    if (id.how == Identity::No || (id.how == Identity::GeneratedOnly && !cfg.data.empty())) continue;
    if (id.how == Identity::BatchNormOnly && cfg.bn.empty()) continue;
    if (line && std::strcmp(line, id.line) == 0) {
      o << ' ';
    } else {
      if (line) o << '\n';
      o << id.line << ' ';
    }
    line = id.line;
    if (id.how == Identity::DataIdentity) o << data_identity;
    else if (id.how == Identity::BaseIdentity) o << base_identity;
    else opt.print(o, cfg);
  }
  return o.str();
}

void TrainConfig::validate() const {
  const NetSpec spec = net_preset(network);  // throws naming the known presets
  const int layers = spec.transfer_layers();
  if (spec.has_batch_norm()) {
    XFER_CHECK(bn == "frozen" || bn == "train", "--bn must be frozen or train, got '" << bn << "'");
  } else {
    XFER_CHECK(bn.empty(), "--bn " << bn << ": network " << network << " has no batch normalisation");
  }
  XFER_CHECK(backend == "cpu" || backend == "cuda", "--backend must be cpu or cuda, got '" << backend << "'");
  if (takes_layer_count(transfer_mode)) {
    XFER_CHECK(transfer_n >= 1 && transfer_n <= layers,
               "--transfer-n must be in 1.." << layers << " for network " << network << " with --transfer-mode "
                                             << to_string(transfer_mode) << ", got " << transfer_n);
  } else if (transfer_mode == TransferMode::Continue) {
    // Not ignored: a value that changed nothing would still change the run identity.
    XFER_CHECK(transfer_n == 0, "--transfer-n is not used with --transfer-mode continue (every layer, fc8 "
                                "included, is copied and trained); leave it out, got "
                                    << transfer_n);
  }
  if (copies_layers(transfer_mode)) {
    XFER_CHECK(!base.empty(), "--transfer-mode " << to_string(transfer_mode) << " needs --base <checkpoint>");
  } else {
    XFER_CHECK(base.empty(), "--base is only used with --transfer-mode frozen, finetune or continue");
  }
  XFER_CHECK(dropout_ratio < 1, "--dropout-ratio must be below 1, got " << dropout_ratio);
  XFER_CHECK(fc8_outputs >= 0 && fc8_outputs <= kMaxFc8Outputs,
             "--fc8-outputs must be in 0.." << kMaxFc8Outputs << " (0: the classes), got " << fc8_outputs);
  if (const auto p = solver_problem(solver)) XFER_FAIL("--" << p->option << " " << p->what);
  XFER_CHECK(threads >= 0 && threads <= kMaxThreads,
             "--threads must be in 0.." << kMaxThreads << " (0: all usable cores), got " << threads);
  XFER_CHECK(loader_threads >= 1 && loader_threads <= kMaxLoaderThreads,
             "--loader-threads must be in 1.." << kMaxLoaderThreads << ", got " << loader_threads);
  XFER_CHECK(display > 0, "--display must be positive, got " << display);
  XFER_CHECK(stop_after >= 0, "--stop-after must be >= 0, got " << stop_after);
  XFER_CHECK(test_batches >= 0, "--test-batches must be >= 0, got " << test_batches);
  XFER_CHECK(!out.empty(), "--out must name a folder");
  if (data.empty()) {
    XFER_CHECK(synthetic_classes >= 2 && synthetic_train > 0 && synthetic_val > 0,
               "the generated batch needs at least 2 classes and some examples");
  }
}

std::string TrainConfig::to_ini() const {
  std::ostringstream o;
  o.precision(17);
  for (const Option& opt : options()) {
    if (opt.identity.how == Identity::BatchNormOnly && bn.empty()) continue;
    o << opt.name << " = ";
    opt.print(o, *this);
    o << "\n";
  }
  return o.str();
}

}  // namespace xfer
